from datetime import UTC
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from scheduler_project.api.pagination import StandardPagination
from scheduler_project.api.permissions import TASK_READ, TASK_WRITE
from scheduler_project.api.viewsets import BaseModelViewSet
from tasks_app.api.filters import TaskFilter
from tasks_app.api.serializers import NextFiresSerializer, RunDetailSerializer, TaskSerializer, TriggerSerializer
from tasks_app.models import Run, RunAttempt, Task
from tasks_app.schedules import Cron, ScheduleError, next_fire_times
from tasks_app.services import definitions

SHELL_NEEDS_ADMIN = "creating, changing or deleting a shell task needs the Admin role: it runs commands on worker nodes"


class TaskViewSet(BaseModelViewSet):
    """Task definitions. Shell tasks are command execution on the nodes: only Admin may create,
    change or delete them; TaskWrite may do so for HTTP tasks, and trigger, pause and resume any."""

    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    pagination_class = StandardPagination
    lookup_value_regex = r"[0-9]+"
    audit_type = "task"
    required_roles = {
        "list": TASK_READ, "retrieve": TASK_READ, "next_fires": TASK_READ,
        "create": TASK_WRITE, "update": TASK_WRITE, "partial_update": TASK_WRITE, "destroy": TASK_WRITE,
        "trigger": TASK_WRITE, "pause": TASK_WRITE, "resume": TASK_WRITE,
    }

    def _check_shell(self, *types):
        if "shell" in types and not self.principal.has_any({"Admin"}):
            raise exceptions.PermissionDenied(SHELL_NEEDS_ADMIN)

    # The type is checked before the body is validated: a refusal should not depend on whether
    # the rest of the definition happens to be valid.
    def create(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        self._check_shell(data.get("type"))
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        self._check_shell(self.get_object().type, data.get("type"))
        return super().update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        self._check_shell(instance.type)
        instance.delete()

    @extend_schema(request=TriggerSerializer, responses={201: RunDetailSerializer},
                   summary="Run the task now, with parameter overrides; returns the run")
    @action(detail=True, methods=["post"])
    def trigger(self, request, pk=None):
        task = self.get_object()
        body = self.action_body(TriggerSerializer)
        run = definitions.trigger(
            task, params=body.get("params"), by=self.principal.name, trigger=Run.Trigger.API
        )
        # The run as just written, its task the row trigger locked. It has no attempts: they are
        # written from its worker's events, and it is published only once this request commits.
        run._prefetched_objects_cache = {"attempts": RunAttempt.objects.none()}
        return Response(RunDetailSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TaskSerializer, summary="Disable the schedule")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._set_enabled(False)

    @extend_schema(request=None, responses=TaskSerializer, summary="Enable the schedule (from now on)")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._set_enabled(True)

    def _set_enabled(self, enabled: bool):
        task = self.get_object()
        definitions.set_enabled(task, enabled)
        task.refresh_from_db()
        return Response(TaskSerializer(task).data)

    @extend_schema(
        parameters=[OpenApiParameter("n", {"type": "integer", "minimum": 1, "maximum": 100},
                                     description="how many, 1 to 100 (default 5)")],
        responses=NextFiresSerializer, summary="The next N fire times, in the schedule's time zone and UTC",
    )
    @action(detail=True, methods=["get"], url_path="next-fires")
    def next_fires(self, request, pk=None):
        raw = request.query_params.get("n", "5")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise exceptions.ValidationError({"n": ["must be a whole number from 1 to 100"]})
        task = self.get_object()
        try:
            schedule = task.parsed_schedule
        except ScheduleError as exc:
            raise exceptions.ValidationError({"schedule": [str(exc)]}) from None
        zone_name = schedule.timezone if isinstance(schedule, Cron) else "UTC"
        zone = ZoneInfo(zone_name)
        fires = next_fire_times(schedule, timezone.now(), int(raw))
        return Response({
            "task": task.pk,
            "timezone": zone_name,
            "fires": [{"utc": t.astimezone(UTC), "local": t.astimezone(zone).isoformat()} for t in fires],
        })
