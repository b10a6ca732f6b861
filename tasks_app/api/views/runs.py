from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduler_project.api.pagination import CreatedAtKeysetPagination
from scheduler_project.api.permissions import TASK_READ, TASK_WRITE
from scheduler_project.api.viewsets import BaseReadOnlyModelViewSet
from tasks_app.api.filters import RunFilter
from tasks_app.api.serializers import ReplaySerializer, RunDetailSerializer, RunSerializer
from tasks_app.models import Run
from tasks_app.services import cancelling, definitions

OUTPUT_FIELDS = ("stdout", "stderr", "response_headers")


class RunViewSet(BaseReadOnlyModelViewSet):
    """Runs, newest first, with a keyset cursor (fast at any depth, no count). The list leaves
    out the captured output; a run's detail has it, with every attempt."""

    queryset = Run.objects.select_related("task")
    filterset_class = RunFilter
    pagination_class = CreatedAtKeysetPagination
    lookup_value_regex = r"[0-9]+"
    audit_type = "run"
    required_roles = {"list": TASK_READ, "retrieve": TASK_READ, "cancel": TASK_WRITE, "replay": TASK_WRITE,
                      "retry": TASK_WRITE}
    extra_error_codes = {"cancel": [409], "replay": [409], "retry": [409]}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset.defer(*OUTPUT_FIELDS)
        return queryset.prefetch_related("attempts")

    def get_serializer_class(self):
        return RunSerializer if self.action == "list" else RunDetailSerializer

    def _detail(self, run_id: int) -> dict:
        return RunDetailSerializer(self.get_queryset().get(pk=run_id)).data

    @extend_schema(request=None, responses={202: RunDetailSerializer},
                   summary="Cancel: at once if not yet on a worker, else its process group is killed")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        cancelling.request_cancel(run.pk, by=self.principal.name)
        return Response(self._detail(run.pk), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ReplaySerializer, responses={201: RunDetailSerializer},
                   summary="Run a finished, unsuccessful run again as a new run, optionally with edited parameters")
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        run = self.get_object()
        body = self.action_body(ReplaySerializer)
        new = definitions.replay(run, body.get("params"), by=self.principal.name)
        return Response(self._detail(new.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplaySerializer, responses={201: RunDetailSerializer}, deprecated=True,
                   summary="The former name of replay/, kept as an alias")
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self.replay(request, pk)
