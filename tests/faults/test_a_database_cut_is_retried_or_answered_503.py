"""Issue 14 item 10: pg_terminate_backend of every role's database connections. Requests after
the cut are served on a fresh connection or answered 503 with the error body, never 500; the
control role (its pool, its Celery tasks) carries a run triggered after the cut to its end within
the bound. (The broker plays no part: Redis broker only.)"""

import json

import pytest

from accounts_app.services import create_api_key
from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker
from tests.support.processes import http_get, wait_for

pytestmark = pytest.mark.faults
REQUESTS = 6


@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_a_database_cut_is_retried_or_answered_503(fault_platform):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend: needs PostgreSQL (DATABASE_URL)")
    platform, v = fault_platform, harness.Violations()
    platform.start("api")
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", "w", "--concurrency", "1", name="w")
    wait_worker("w")
    task = shell_task(platform.command_log, "true")
    platform.wait_run(definitions.trigger(task).pk, "succeeded")  # the control's pool holds connections now
    _, key = create_api_key("fault-db-cut", ["Admin"])
    headers = {"X-API-Key": key}
    wait_for(lambda: http_get(platform.api_port, "/api/v1/tasks/", headers)[0] == 200, 60, "the api")
    for _ in range(3):  # several pooled connections in use
        http_get(platform.api_port, "/api/v1/tasks/", headers)

    cut = harness.terminate_backends()
    answers = [http_get(platform.api_port, "/api/v1/tasks/", headers) for _ in range(REQUESTS)]
    codes = [status for status, _ in answers]
    v.check(cut >= 1, "no connection of the api was cut")
    v.check(500 not in codes, f"answers after the cut: {codes}; a 500: "
                              f"{next((body[:300] for status, body in answers if status == 500), '')!r}")
    for status, body in answers:
        if status == 503:
            v.check("error" in json.loads(body or "{}"), f"a 503 without the error body: {body[:200]!r}")
    v.check(codes[-1] == 200, f"still failing after {REQUESTS} requests: {codes}")
    run = definitions.trigger(task)  # (from this process: its own connection is the one not cut)
    found = harness.wait_final([run.pk], harness.final_bound(platform.config))
    v.check(found.get(run.pk) == "succeeded", f"a run triggered after the cut is {found.get(run.pk)}")
    v.assert_none()
