"""What the API answers a browser with.

- Staff users signed in with the Django session (the admin's or the console's) get DRF's
  browsable API when their browser asks for HTML; every other caller (API keys, JWT, scripts
  sending Accept: */*) gets JSON as before. The choice is made in content negotiation, so
  nothing else about a request changes.
- `/api/v1/schema/` opened in a browser shows the OpenAPI document (YAML) as a page linking to
  the Swagger UI, instead of a download of an unknown type; clients get YAML or JSON as before.
"""

from __future__ import annotations

from django.utils.html import escape
from drf_spectacular.renderers import OpenApiYamlRenderer
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer


def _staff_session(request) -> bool:
    django_request = getattr(request, "_request", request)
    if django_request.META.get("HTTP_X_API_KEY") or django_request.META.get("HTTP_AUTHORIZATION"):
        return False  # a credential of its own: an API client, whatever else it carries
    user = getattr(django_request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


class StaffBrowsableNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if not _staff_session(request):
            renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)] or renderers
        return super().select_renderer(request, renderers, format_suffix)


class OpenApiHtmlRenderer(OpenApiYamlRenderer):
    """The schema as a page, for a browser that asks for HTML."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        yaml = super().render(data, accepted_media_type, renderer_context).decode("utf-8")
        return (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Taskplane API: OpenAPI schema"
            "</title></head><body style=\"font-family: system-ui, sans-serif; margin: 20px\">"
            "<h1 style=\"font-size: 18px\">Taskplane API: OpenAPI schema</h1>"
            "<p><a href=\"/api/v1/docs/\">Open it in the Swagger UI</a> · <a href=\"?format=json\">JSON</a> · "
            "<a href=\"?format=yaml\">YAML</a> · <a href=\"/ui/\">operator console</a></p>"
            f"<pre style=\"background: #f6f8fa; padding: 12px; overflow: auto\">{escape(yaml)}</pre></body></html>"
        ).encode()
