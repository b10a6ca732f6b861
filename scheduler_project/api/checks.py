"""System checks for the API's configuration (manage.py check; every start of a process that
serves the API: scheduler_project.checks.judged_roles)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from scheduler_project.checks import SERVES_THE_API, judged_roles
from scheduler_project.live_config import cors_of


@register(Tags.security)
def check_api_configuration(app_configs=None, **kwargs):
    if not judged_roles() & SERVES_THE_API:
        return []
    tp = settings.TP
    messages = []
    rl, sec = tp.api.rate_limiting, tp.api.security
    if rl.enabled and sec.rate_limiting_enabled and (
        (rl.max_requests_per_minute, rl.burst_size) != (sec.max_requests_per_minute, sec.burst_size)
    ):
        messages.append(Warning(
            "api.rate_limiting and api.security both enable rate limiting with different values: "
            "api.rate_limiting's apply",
            hint="Keep one section (README: REST API, Rate limiting).", id="taskplane.W101",
        ))
    if not tp.api.auth.jwt_secret and settings.CONFIG.environment in ("staging", "production"):
        messages.append(Warning(
            "api.auth.jwt_secret is empty: JWTs are signed with the Django SECRET_KEY",
            hint="Set JWT_SECRET.", id="taskplane.W102",
        ))
    cors = cors_of(tp)
    if cors.enabled and not cors.origins:
        messages.append(Warning("CORS is enabled but no cors_origins are set: no origin passes", id="taskplane.W103"))
    bad = [o for o in cors.origins if o != "*" and "://" not in o]
    if bad:
        messages.append(Warning(f"cors_origins without a scheme never match: {', '.join(bad)}",
                                hint='Write "https://host[:port]".', id="taskplane.W104"))
    return messages
