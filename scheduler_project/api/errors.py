"""One error body for every error the API returns (DRF views, Django's handlers, middleware):

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"spec.command": ["..."]}}}

`fields` appears only for validation errors, keyed by dotted field path. Domain errors map as
DESIGN.md says: EngineError -> 400, Conflict -> 409, ObjectDoesNotExist (Run.DoesNotExist,
UnknownWorker, ...) and Http404 -> 404, django ValidationError (Task.save() -> clean()) -> 400,
and a unique constraint the database refused -> 400 on that field (409 when it spans several).
The database unreachable or its connection cut (OperationalError, InterfaceError) -> 503, in a
view or in middleware: the client may retry; it is not the server's bug.
"""

from __future__ import annotations

import logging
import re
import sys

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from scheduler_project.errors import Conflict, EngineError

log = logging.getLogger(__name__)


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "the request conflicts with the current state"
    default_code = "conflict"


class Rejected(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "the request was refused"
    default_code = "rejected"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "a required service is unavailable"
    default_code = "unavailable"


DEFAULT_CODES = {
    400: "invalid", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "request_too_large",
    415: "unsupported_media_type", 429: "throttled", 500: "server_error", 503: "unavailable",
}


def error_body(status_code: int, message: str, code: str | None = None, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code or DEFAULT_CODES.get(status_code, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(status_code: int, message: str, code: str | None = None, **headers) -> JsonResponse:
    """For code outside DRF (middleware, Django's 404/500 handlers)."""
    response = JsonResponse(error_body(status_code, message, code), status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"a.b": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in _flatten(value, path).items():
                out.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _from_django_validation(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        fields = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        return exceptions.ValidationError(fields)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


# What each backend says of a unique violation: PostgreSQL's detail "Key (name)=(x) already
# exists.", SQLite's message "UNIQUE constraint failed: tasks_app_task.name".
_PG_UNIQUE_VIOLATION = "23505"
_PG_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)")


def _unique_violation(exc: IntegrityError, view) -> exceptions.APIException | None:
    """A unique constraint the database enforced, as the 400 a serializer's UniqueValidator gives.

    Serializers may leave a unique field to the database (TaskSerializer's name does): the
    validator's SELECT before every write costs a round trip, and does not even decide, since two
    requests can both pass it; the loser's INSERT then failed here, and used to answer 500."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == _PG_UNIQUE_VIOLATION:
        found = _PG_KEY.match(getattr(cause.diag, "message_detail", None) or "")
        columns = [c.strip().strip('"') for c in found["columns"].split(",")] if found else []
    elif found := _SQLITE_UNIQUE.match(str(exc)):
        columns = [c.strip().rsplit(".", 1)[-1] for c in found["columns"].split(",")]
    else:
        return None  # not a unique violation (a foreign key, a NOT NULL): a bug, let it be a 500
    model = getattr(getattr(view, "queryset", None), "model", None)
    fields = {f.column: f for f in model._meta.concrete_fields} if model is not None else {}
    if len(columns) == 1 and columns[0] in fields:
        field = fields[columns[0]]
        return exceptions.ValidationError(
            {field.name: [f"{model._meta.verbose_name} with this {field.verbose_name} already exists."]}
        )
    return ConflictError(f"another object already has these values of {', '.join(columns) or 'a unique key'}")


DATABASE_AWAY = "the database is unavailable (connection lost); retry shortly"


def _database_away(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def _translate(exc: Exception, view=None) -> Exception:
    if _database_away(exc):
        log.warning("database unavailable in %s: %s", type(view).__name__ if view else "the API", exc)
        return ServiceUnavailable(DATABASE_AWAY)
    if isinstance(exc, IntegrityError):
        return _unique_violation(exc, view) or exc
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation(exc)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return exceptions.NotFound(str(exc) or "not found")
    if isinstance(exc, Conflict):
        return ConflictError(str(exc))
    if isinstance(exc, EngineError):
        if getattr(exc, "field", None):
            return exceptions.ValidationError({exc.field: [str(exc)]})
        return Rejected(str(exc))
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def _message_and_fields(exc: exceptions.APIException) -> tuple[str, str, dict | None]:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        first_path, first = next(iter(fields.items()))
        where = "" if first_path == "non_field_errors" else f"{first_path}: "
        more = f" (and {len(fields) - 1} more field(s))" if len(fields) > 1 else ""
        return f"invalid request: {where}{first[0]}{more}", "invalid", fields
    if isinstance(detail, dict):  # simplejwt: {"detail": ..., "code": ..., "messages": [...]}
        message = str(detail.get("detail") or next(iter(_flatten(detail).values()))[0])
        code = str(detail.get("code") or exc.default_code)
        return message, code, None
    if isinstance(detail, list):
        return "; ".join(str(d) for d in detail), exc.default_code, None
    code = getattr(detail, "code", None) or exc.default_code
    return str(detail), str(code), None


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception becomes the one error body."""
    exc = _translate(exc, context.get("view"))
    if not isinstance(exc, exceptions.APIException):
        view = context.get("view")
        log.exception("unhandled error in %s", type(view).__name__ if view else "the API", exc_info=exc)
        if connection.in_atomic_block:
            connection.set_rollback(True)
        return Response(error_body(500, "internal server error"), status=500)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        headers["Retry-After"] = str(wait)
        message, code, fields = f"rate limit exceeded: retry in {wait} s", "throttled", None
    else:
        message, code, fields = _message_and_fields(exc)
    if exc.status_code == 401 and code == "not_authenticated":
        message = "authentication required: send X-API-Key, or Authorization: Bearer <token>"
    return Response(error_body(exc.status_code, message, code, fields), status=exc.status_code, headers=headers)


# Django's handlers (urls.py handler400/403/404/500): the same body under /api/, HTML elsewhere.

def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    if _is_api(request):
        return error_response(404, f"no such endpoint: {request.path}")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    # Django calls this from inside its `except` around the failed request: the exception is at hand.
    if _database_away(sys.exc_info()[1]):
        if _is_api(request):
            return error_response(503, DATABASE_AWAY, Retry_After="1")
        from django.http import HttpResponse

        return HttpResponse(DATABASE_AWAY, status=503, content_type="text/plain", headers={"Retry-After": "1"})
    if _is_api(request):
        return error_response(500, "internal server error")
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request, exception=None):
    if _is_api(request):
        return error_response(400, "bad request")
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return error_response(403, "forbidden")
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)
