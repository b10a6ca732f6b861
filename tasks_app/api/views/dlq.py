from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduler_project.api.pagination import CreatedAtKeysetPagination
from scheduler_project.api.permissions import ADMIN, TASK_READ, TASK_WRITE
from scheduler_project.api.viewsets import BaseReadOnlyModelViewSet
from scheduler_project.durations import parse_cutoff
from tasks_app import states
from tasks_app.api.filters import DeadRunFilter
from tasks_app.api.serializers import (
    DeadLetterSerializer,
    PurgeResultSerializer,
    PurgeSerializer,
    ReplaySerializer,
    RunDetailSerializer,
)
from tasks_app.models import Run
from tasks_app.services import deadletters, definitions


class DeadLetterViewSet(BaseReadOnlyModelViewSet):
    """Dead runs: runs whose retries are exhausted (status dead, `source: "run"`, ids "run-<id>"),
    replayable. The inbox dead letters are instances_app.api.deadletters, under dlq/inbox/."""

    queryset = Run.objects.filter(status=states.DEAD).select_related("task")
    serializer_class = DeadLetterSerializer
    filterset_class = DeadRunFilter
    pagination_class = CreatedAtKeysetPagination
    lookup_url_kwarg = "letter_id"
    lookup_value_regex = r"run-[0-9]{1,18}"
    audit_type = "dead_letter"
    required_roles = {"list": TASK_READ, "retrieve": TASK_READ, "replay": TASK_WRITE, "purge": ADMIN}
    extra_error_codes = {"replay": [409]}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("list", "retrieve"):  # a replay's audit snapshot reads every field
            return queryset.defer("stdout", "stderr", "response_headers")
        return queryset

    def find_object(self):
        run_id = int(self.kwargs[self.lookup_url_kwarg].removeprefix("run-"))
        run = self.get_queryset().filter(pk=run_id).first()
        if run is None:
            raise exceptions.NotFound(f"no dead letter run-{run_id}")
        self.check_object_permissions(self.request, run)
        return run

    @extend_schema(request=ReplaySerializer, responses={201: RunDetailSerializer},
                   summary="Replay as a new run, optionally with edited parameters")
    @action(detail=True, methods=["post"])
    def replay(self, request, letter_id=None):
        run = self.get_object()
        body = self.action_body(ReplaySerializer)
        new = definitions.replay(run, body.get("params"), by=self.principal.name)
        detail = Run.objects.select_related("task").prefetch_related("attempts").get(pk=new.pk)
        return Response(RunDetailSerializer(detail).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PurgeSerializer, responses={200: PurgeResultSerializer},
                   summary="Delete dead letters, optionally only older ones or one task's")
    @action(detail=False, methods=["post"])
    def purge(self, request):
        body = self.action_body(PurgeSerializer)
        cutoff = None
        if "older_than" in body:
            try:
                cutoff = parse_cutoff(body["older_than"], timezone.now())
            except ValueError as exc:
                raise exceptions.ValidationError({"older_than": [str(exc)]}) from None
        run_ids = [int(i.removeprefix("run-")) for i in body["ids"]] if "ids" in body else None
        deleted = deadletters.purge(older_than=cutoff, task_id=body.get("task"), run_ids=run_ids)
        return Response({"source": "run", "deleted": deleted})
