"""Live run events as Server-Sent Events: GET /api/v1/runs/{id}/events and /api/v1/events.

The stream is served by the instance the client is connected to; events processed on any
instance reach it through this instance's inbox (instances_app.streams)."""

import logging

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from instances_app import streams
from scheduler_project.api.errors import ServiceUnavailable
from scheduler_project.api.permissions import TASK_READ
from tasks_app import states
from tasks_app.models import Run, Task
from tasks_app.services.run_events import event_of

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


def _response(filters: dict, first_events=list, is_over=lambda event: False) -> StreamingHttpResponse:
    """first_events: a callable returning the events that describe the current state, called
    once the stream's session is registered."""
    slots = streams.slots()
    if not slots.try_take():
        raise ServiceUnavailable("every live-stream slot of this api process is busy; retry shortly")
    try:
        body = streams.LiveStream(filters, first_events, is_over, on_close=slots.give_back)
    except Exception as exc:  # Redis away: the slot goes back at once, the client is told to retry
        slots.give_back()
        log.warning("live stream refused: %s", exc)
        raise ServiceUnavailable("live events are unavailable: the state store (Redis) does not answer; "
                                 "retry shortly") from exc
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer this response
    return response


def _run_is_over(event: dict) -> bool:
    return event.get("kind") == "status" and event.get("status") in states.FINAL


class RunEventsView(StreamView):
    required_roles = {"get": TASK_READ}

    # Left out of the OpenAPI document: a stream never ends on its own, which schema-driven
    # clients and fuzzers cannot handle; the README documents both streams.
    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        run = get_object_or_404(Run, pk=pk)
        return _response({"run_id": run.pk}, lambda: [event_of(r) for r in Run.objects.filter(pk=run.pk)], _run_is_over)


class EventsView(StreamView):
    required_roles = {"get": TASK_READ}

    @extend_schema(exclude=True)
    def get(self, request):
        task_id = request.query_params.get("task")
        if task_id is None:
            return _response({})
        if not task_id.isdigit():
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"task": ["must be a task id"]})
        task = get_object_or_404(Task, pk=int(task_id))
        return _response({"task_id": task.pk})
