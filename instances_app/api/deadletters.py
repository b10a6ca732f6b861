"""/api/v1/dlq/inbox/: the dead letters of the instance inboxes (Redis streams), beside the dead
runs of /api/v1/dlq/. Ids are "inbox-<instance id>-<stream entry id>", so one id names both the
DLQ it lives in and the entry; the entry id (digits-digits) ends it, which keeps it unambiguous
whatever dashes the instance id has."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from instances_app import deadletters
from instances_app.api.serializers import (
    INSTANCE_ID,
    STREAM_ENTRY_ID,
    InboxDeadLetterSerializer,
    InboxPurgeResultSerializer,
    InboxPurgeSerializer,
    InboxReplayResultSerializer,
)
from scheduler_project.api.permissions import ADMIN, TASK_READ, TASK_WRITE
from scheduler_project.api.viewsets import BaseViewSet

LETTER_ID_PATTERN = rf"inbox-{INSTANCE_ID}-{STREAM_ENTRY_ID}"
LETTER_ID = re.compile(rf"^inbox-(?P<instance>{INSTANCE_ID})-(?P<entry>{STREAM_ENTRY_ID})$")
MAX_COUNT = 1000


def parse_letter_id(letter_id: str) -> tuple[str, str]:
    match = LETTER_ID.match(letter_id)
    if not match or not deadletters.valid_entry_id(match.group("entry")):
        raise exceptions.NotFound(f"no dead letter {letter_id}")
    return match.group("instance"), match.group("entry")


def as_api(letter: dict) -> dict:
    return {**letter, "id": f"inbox-{letter['instance_id']}-{letter['id']}", "entry_id": letter["id"],
            "source": "inbox"}


class InboxDeadLetterViewSet(BaseViewSet):
    """Inbox entries moved to {prefix}:streams:{instance:ID}:dlq after dlq_max_deliveries."""

    required_roles = {"list": TASK_READ, "retrieve": TASK_READ, "replay": TASK_WRITE, "purge": ADMIN}
    audit_type = "dead_letter"
    serializer_class = InboxDeadLetterSerializer
    pagination_class = None
    filter_backends = []
    lookup_url_kwarg = "letter_id"
    lookup_value_regex = LETTER_ID_PATTERN
    extra_error_codes = {"list": [404], "purge": [404]}  # an unknown instance

    @extend_schema(
        parameters=[
            OpenApiParameter("instance", OpenApiTypes.STR, description="only this instance's DLQ"),
            OpenApiParameter("count", {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
                             description=f"at most this many, newest first (1..{MAX_COUNT})"),
        ],
        responses=InboxDeadLetterSerializer(many=True),
    )
    def list(self, request):
        instance = request.query_params.get("instance") or None
        raw_count = request.query_params.get("count", "100")
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_COUNT:
            raise exceptions.ValidationError({"count": [f"an integer from 1 to {MAX_COUNT}"]})
        letters = deadletters.list_letters(instance, int(raw_count))
        return Response(InboxDeadLetterSerializer([as_api(d) for d in letters], many=True).data)

    def retrieve(self, request, letter_id=None):
        return Response(InboxDeadLetterSerializer(as_api(deadletters.get(*parse_letter_id(letter_id)))).data)

    @extend_schema(request=None, responses={201: InboxReplayResultSerializer},
                   summary="Deliver the letter again through its instance's inbox")
    @action(detail=True, methods=["post"])
    def replay(self, request, letter_id=None):
        instance, entry = parse_letter_id(letter_id)
        new_entry = deadletters.replay(instance, entry)
        return Response({"source": "inbox", "replayed": letter_id, "instance_id": instance, "inbox_entry_id": new_entry},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=InboxPurgeSerializer, responses={200: InboxPurgeResultSerializer},
                   summary="Delete inbox dead letters: the given ones, or the whole DLQ of an instance")
    @action(detail=False, methods=["post"])
    def purge(self, request):
        body = self.action_body(InboxPurgeSerializer)
        instance, ids = body["instance"], body.get("ids") or None
        return Response({"source": "inbox", "instance_id": instance, "deleted": deadletters.purge(instance, ids)})
