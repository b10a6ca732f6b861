"""Live run events as Server-Sent Events: GET /api/v1/runs/{id}/events and /api/v1/events.

The stream is served by the instance the client is connected to; events processed on any
instance reach it through its session's inbox (instances_app.streams). Every event has an
`id:`; a client reconnecting with it in `Last-Event-ID` (or `?last_event_id=`, for a client
that cannot set headers) loses nothing. A run's stream starts with the output its execution
printed so far (instances_app.live_output), so a client connecting late sees it from line 1."""

import logging

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from instances_app import live_events, streams
from scheduler_project.api.errors import ServiceUnavailable
from scheduler_project.api.permissions import TASK_READ
from tasks_app.models import Run, Task

log = logging.getLogger("taskplane.instances")


class EventStreamRenderer(BaseRenderer):
    """Lets content negotiation accept `Accept: text/event-stream` (what EventSource sends). A
    stream is a StreamingHttpResponse, never rendered; errors are JSON (StreamView)."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, renderer_context=renderer_context)


class StreamView(APIView):
    renderer_classes = [EventStreamRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # An error (401, 404, 503 ...) is the API's JSON error body, whatever the client accepts.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


def last_event_id(request) -> str:
    """EventSource sends the header by itself when it reconnects; the header wins over the query
    parameter, which a reconnecting EventSource repeats from its first URL."""
    return request.META.get("HTTP_LAST_EVENT_ID") or request.GET.get("last_event_id") or ""


def _nothing(output) -> list:
    return []


def _response(request, filters: dict, first_events=_nothing, is_over=lambda event: False) -> StreamingHttpResponse:
    """first_events(output): a callable returning the events that describe the current state,
    called once the stream's session is registered, with the cursor's output position."""
    slots = streams.slots()
    if not slots.try_take():
        raise ServiceUnavailable("every live-stream slot of this api process is busy; retry shortly")
    try:
        body = streams.LiveStream(filters, first_events, is_over, on_close=slots.give_back,
                                  last_event_id=last_event_id(request))
    except Exception as exc:  # Redis away: the slot goes back at once, the client is told to retry
        slots.give_back()
        log.warning("live stream refused: %s", exc)
        raise ServiceUnavailable("live events are unavailable: the state store (Redis) does not answer; "
                                 "retry shortly") from exc
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer this response
    return response


class RunEventsView(StreamView):
    required_roles = {"get": TASK_READ}

    # Left out of the OpenAPI document: a stream never ends on its own, which schema-driven
    # clients and fuzzers cannot handle; the README documents both streams.
    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        run = get_object_or_404(Run, pk=pk)
        return _response(request, {"run_id": run.pk}, live_events.run_state(run.pk), live_events.run_is_over)


class EventsView(StreamView):
    required_roles = {"get": TASK_READ}

    @extend_schema(exclude=True)
    def get(self, request):
        task_id = request.query_params.get("task")
        if task_id is None:
            return _response(request, {})
        if not task_id.isdigit():
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"task": ["must be a task id"]})
        task = get_object_or_404(Task, pk=int(task_id))
        return _response(request, {"task_id": task.pk})
