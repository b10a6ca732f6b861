"""Writing the audit log, and keeping secrets out of it.

record() is called by the API's base view (every mutating request), by the admin hooks
(audit_app.signals for LogEntry, audit_app.middleware for admin actions). Snapshots go
through redact(): any mapping key that names a secret has its value replaced, at any depth,
and long strings (captured output) are cut.
"""

from __future__ import annotations

import json
import logging
import re
import time

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from audit_app.models import AuditEntry
from scheduler_project import live_config
from scheduler_project.api import throttling
from scheduler_project.api.principal import client_address

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
SECRET_NAME = re.compile(
    r"(password|passwd|secret|token|api[_-]?key|^key$|^access$|^refresh$|authorization|cookie|credential|"
    r"private[_-]?key|hashed_key|signature)",
    re.IGNORECASE,
)
MAX_STRING = 2000
# Fields of a model that are secret whatever their name says (the pk of an API key holds its hash).
EXCLUDED_FIELDS = {"accounts_app.apikey": {"id", "hashed_key"}, "auth.user": {"password"}}


def redact(value):
    if isinstance(value, dict):
        return {k: (REDACTED if SECRET_NAME.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + f"... [{len(value) - MAX_STRING} more characters]"
    return value


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def object_type(obj_or_model) -> str:
    return obj_or_model._meta.label_lower


def object_id(obj: models.Model) -> str:
    if object_type(obj) == "accounts_app.apikey":
        return obj.prefix  # its pk contains its hash
    return str(obj.pk)


def snapshot(obj: models.Model | None) -> dict | None:
    """The stored state of a row: concrete fields, redacted."""
    if obj is None:
        return None
    excluded = EXCLUDED_FIELDS.get(object_type(obj), set())
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in excluded:
            continue
        data[field.attname if field.is_relation else field.name] = field.value_from_object(obj)
    return redact(_jsonable(data))


def request_meta(request) -> dict:
    meta = getattr(request, "META", {})
    return {
        "method": getattr(request, "method", "") or "",
        "path": (getattr(request, "path", "") or "")[:500],
        # The client as our trusted proxies report it (REMOTE_ADDR when there are none).
        "remote_addr": (client_address(request) if meta else "")[:64],
        "forwarded_for": (meta.get("HTTP_X_FORWARDED_FOR") or "")[:300],
        "user_agent": (meta.get("HTTP_USER_AGENT") or "")[:300],
    }


def record(
    *, principal: str, action: str, source: str, object_type: str = "", object_id: str = "", object_repr: str = "",
    before=None, after=None, status_code: int | None = None, request=None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        principal=principal[:200], action=action[:100], source=source, object_type=object_type[:100],
        object_id=str(object_id)[:200], object_repr=str(object_repr)[:200],
        before=None if before is None else redact(_jsonable(before)),
        after=None if after is None else redact(_jsonable(after)),
        status_code=status_code, **(request_meta(request) if request is not None else {}),
    )


# Requests refused without valid credentials (401) are recorded, at most this many a minute per
# client address (a burst of as many), and this many a minute from all addresses together: the
# first attempts of a guesser are in the log, a flood (or a botnet's) cannot fill the table.
UNAUTHENTICATED_PER_ADDRESS = live_config.RateLimit(True, 10, 10, "audit")
UNAUTHENTICATED_ALL = live_config.RateLimit(True, 600, 600, "audit")
_last_warning: dict[str, float] = {}


def _warn_once_a_minute(what: str, message: str, *args) -> None:
    if time.monotonic() - _last_warning.get(what, -60.0) >= 60:
        _last_warning[what] = time.monotonic()
        log.warning(message, *args)


def record_unauthenticated(*, request=None, **entry) -> AuditEntry | None:
    """record() for a request refused without valid credentials, unless its address (or all of
    them) has had its share this minute. Redis (the shared counters) unreachable: not recorded,
    since nothing would then bound a flood; logged once a minute."""
    address = request_meta(request)["remote_addr"] if request is not None else ""
    try:
        allowed = throttling.take(f"audit-unauthenticated:{address}", UNAUTHENTICATED_PER_ADDRESS)[0] \
            and throttling.take("audit-unauthenticated:*", UNAUTHENTICATED_ALL)[0]
    except Exception as exc:  # noqa: BLE001  the request's answer must not depend on the audit log
        _warn_once_a_minute("redis", "unauthenticated refusals not audited: Redis unavailable (%s)", exc)
        return None
    if not allowed:
        _warn_once_a_minute("flood", "unauthenticated refusals over the audit rate (%d a minute per address, "
                            "%d overall): not all audited; the last from %s", UNAUTHENTICATED_PER_ADDRESS.per_minute,
                            UNAUTHENTICATED_ALL.per_minute, address or "?")
        return None
    return record(request=request, **entry)
