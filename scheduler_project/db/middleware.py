"""ReadReplicaMiddleware: which requests may read from a replica (settings.py installs it in
the api role when [database.read_replicas] is set).

- GET and HEAD read from a fit replica (replicas.py decides which rows and which replica),
  unless the client's session wrote recently: then from the primary, so it reads its writes.
- Any other method reads and writes on the primary, and pins its session to the primary for
  replica_max_lag_seconds + replica_check_interval_seconds: long enough for any replica in
  use to have replayed the write. The pin is a cookie, so it follows the session across
  processes and instances: a browser's, or any API client that keeps cookies (a requests
  Session, `curl -c/-b`).
- A replica that fails during a request (killed, cut off, restarting) fails no request: the
  request, a GET or HEAD and so safe to repeat, is answered again from the primary, and the
  replica is marked unfit until a health check finds it fit again. A failure is recognised by
  Django's errors_occurred flag on the replica's connection, which is set whatever the view
  then made of the error (an exception, or a 500/503 from the API's exception handler).
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.db import connections

from scheduler_project.db import replicas

log = logging.getLogger(__name__)

PIN_COOKIE = "taskplane_primary"
REPLICA_METHODS = ("GET", "HEAD")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def pin_seconds() -> int:
    db = settings.TP.database
    return math.ceil(db.replica_max_lag_seconds + db.replica_check_interval_seconds)


class ReadReplicaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in REPLICA_METHODS or request.COOKIES.get(PIN_COOKIE):
            response = self.get_response(request)
            if request.method not in SAFE_METHODS:
                response.set_cookie(PIN_COOKIE, "1", max_age=pin_seconds(), httponly=True, samesite="Lax")
            return response
        with replicas.replica_reads() as used:
            try:
                response = self.get_response(request)
                raised = None
            except Exception as exc:
                if not used:
                    raise
                response, raised = None, exc
            failed = [alias for alias in used if connections[alias].errors_occurred]
        if not failed and raised is None:
            return response
        if failed:
            reason = _reason(raised, response)
            for alias in failed:
                replicas.health().suspect(alias, reason)
                try:
                    connections[alias].close()
                except Exception:  # noqa: BLE001  it is broken already; a new one opens when needed
                    pass
            log.warning("%s %s failed on replica %s (%s): answering it from the primary",
                        request.method, request.path, ", ".join(failed), reason)
        else:  # not the replica's fault, as far as can be seen: the primary's answer is the answer
            log.info("%s %s raised %s while reading from a replica: answering it from the primary",
                     request.method, request.path, type(raised).__name__)
        return self.get_response(request)


def _reason(raised, response) -> str:
    if raised is not None:
        return f"{type(raised).__name__}: {raised}".strip()
    return f"its connection failed (status {getattr(response, 'status_code', '?')})"
