"""CORS origins from the live configuration (scheduler_project.live_config.cors_of): django-cors-
headers asks this signal for each cross-origin request to /api/, so a reload-config that
changes the origins takes effect without a restart."""

from corsheaders.signals import check_request_enabled
from django.dispatch import receiver

from scheduler_project import live_config


@receiver(check_request_enabled)
def _origin_allowed(sender, request, **kwargs):
    origin = request.headers.get("origin", "")
    return bool(origin) and live_config.current().cors.allows(origin)
