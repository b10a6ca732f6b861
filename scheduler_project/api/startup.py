"""What the api role does once per process at start (wsgi.py calls on_api_start()):

- warn loudly when [api.auth] enabled = false: the API is open to anyone who reaches it;
- warn when the JWT signing key falls back to SECRET_KEY outside development;
- provision API_KEYS / [api.auth.api_keys] (accounts_app.services.provision_config_keys).
  If the database is not reachable yet, the first request that sends an API key tries again
  (at most every RETRY_SECONDS), so a start before the database is up still provisions.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

log = logging.getLogger("taskplane.api")

RETRY_SECONDS = 10.0
_provisioned = False
_next_try = 0.0
_lock = threading.Lock()

AUTH_DISABLED_WARNING = (
    "[api.auth] enabled = false: the REST API is OPEN, every request is served as Admin without "
    "credentials. For development only."
)
JWT_FALLBACK_WARNING = "[api.auth] jwt_secret is empty: JWTs are signed with the Django SECRET_KEY; set JWT_SECRET"


def warnings() -> list[str]:
    found = []
    if not settings.TP.api.auth.enabled:
        found.append(AUTH_DISABLED_WARNING)
    if not settings.TP.api.auth.jwt_secret and settings.CONFIG.environment in ("staging", "production"):
        found.append(JWT_FALLBACK_WARNING)
    return found


def ensure_config_keys() -> bool:
    """Provision the configured keys once per process; cheap no-op once done."""
    global _provisioned, _next_try
    if _provisioned or time.monotonic() < _next_try:
        return _provisioned
    with _lock:
        if _provisioned:
            return True
        from accounts_app.services import provision_config_keys

        try:
            provision_config_keys(settings.TP.api.auth.api_keys)
        except Exception as exc:  # noqa: BLE001  the database may not be up (or migrated) yet
            _next_try = time.monotonic() + RETRY_SECONDS
            log.error("could not provision API_KEYS yet (retrying on use): %s", exc)
            return False
        _provisioned = True
        return True


def on_api_start() -> None:
    from scheduler_project.api import live

    for message in warnings():
        banner = "!" * 78
        log.warning("%s\n%s\n%s", banner, message, banner)
    ensure_config_keys()
    live.remember_generation()
