"""Issue 14 item 10: when the database connection is lost (a cut, a failover), the API answers
503 with its error body and Retry-After, from a view or from middleware, never a 500: the client
may retry. (tests/faults/test_a_database_cut_is_retried_or_answered_503.py cuts a real api's
connections with pg_terminate_backend; the api's pool then hands out checked connections.)"""

import json

from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from scheduler_project.api import errors


def test_a_view_that_loses_the_database_answers_503():
    response = errors.exception_handler(OperationalError("terminating connection due to administrator command"),
                                        {"view": None})
    assert response.status_code == 503
    assert response.data["error"]["code"] == "unavailable"
    assert "database is unavailable" in response.data["error"]["message"]


def test_middleware_that_loses_the_database_answers_503():
    request = RequestFactory().get("/api/v1/tasks/")
    try:
        raise InterfaceError("connection already closed")
    except InterfaceError:
        response = errors.handler500(request)  # as Django calls it, inside its except
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert json.loads(response.content)["error"]["code"] == "unavailable"


def test_other_server_errors_stay_500():
    request = RequestFactory().get("/api/v1/tasks/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = errors.handler500(request)
    assert response.status_code == 500
