"""Middleware for the API: body size limits before anything reads the body, and picking up a
config reload made by another process."""

from __future__ import annotations

from scheduler_project import live_config
from scheduler_project.api.errors import error_response


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


class RequestSizeLimitMiddleware:
    """413 in the one error body when Content-Length says the body is over
    [api.security] max_request_size_mb, or, for a JSON body, over max_json_payload_size_mb.
    Checked from the header, before the body is read. (A body sent without Content-Length
    is capped by Django's DATA_UPLOAD_MAX_MEMORY_SIZE when read.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(400, "invalid Content-Length header", "bad_request")
        if length:
            limits = live_config.current()
            content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            if length > limits.max_request_bytes:
                return error_response(
                    413, f"request body of {length} bytes is over the {_mb(limits.max_request_bytes)} limit"
                )
            if (content_type == "application/json" or content_type.endswith("+json")) and length > limits.max_json_bytes:
                return error_response(
                    413, f"JSON body of {length} bytes is over the {_mb(limits.max_json_bytes)} JSON limit"
                )
        return self.get_response(request)


class LiveConfigMiddleware:
    """At most one Redis GET every few seconds per process: has another api process of this
    instance reloaded the configuration? (scheduler_project.live_config)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            live_config.refresh_if_stale()
        return self.get_response(request)
