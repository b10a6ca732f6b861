"""What the api role does once per process at start (wsgi.py calls on_api_start()):

- warn loudly when [api.auth] enabled = false: the API is open to anyone who reaches it;
- warn when the JWT signing key falls back to SECRET_KEY outside development;
- provision API_KEYS / [api.auth.api_keys] (hooks.ensure_config_keys, provided by accounts_app,
  which tries again on the first request with a key if the database is not up yet);
- remember the configuration generation this process read (scheduler_project.live_config).
"""

from __future__ import annotations

import logging

from django.conf import settings

from scheduler_project import hooks, live_config

log = logging.getLogger("taskplane.api")

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


def on_api_start() -> None:
    for message in warnings():
        banner = "!" * 78
        log.warning("%s\n%s\n%s", banner, message, banner)
    hooks.ensure_config_keys()
    live_config.remember_generation()
