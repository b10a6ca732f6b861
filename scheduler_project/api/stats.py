"""GET /api/v1/stats: runs by status over the last hour and day, workers by status, tasks.

Cheap at any table size: each run count is a range on the created_at index (grouped by
status), the other tables are small."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from scheduler_project.api.permissions import SYSTEM_READ
from scheduler_project.api.viewsets import BaseAPIView
from tasks_app import states
from tasks_app.models import Run, Task
from workers_app.models import Worker


def _counts(names, rows) -> dict[str, int]:
    counts = {name: 0 for name in names}
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def run_counts(since) -> dict[str, int]:
    rows = Run.objects.filter(created_at__gte=since).order_by().values("status").annotate(n=Count("id"))
    return _counts(states.STATUSES, rows)


# One integer per status, every status always present: a stable shape for dashboards.
StatusCountsSerializer = type(
    "StatusCountsSerializer", (serializers.Serializer,), {s: serializers.IntegerField() for s in states.STATUSES}
)
WorkerCountsSerializer = type(
    "WorkerCountsSerializer", (serializers.Serializer,), {s: serializers.IntegerField() for s in Worker.Status.values}
)


class RunStatsSerializer(serializers.Serializer):
    last_hour = StatusCountsSerializer()
    last_24h = StatusCountsSerializer()


class TaskStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    enabled = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    runs = RunStatsSerializer(help_text="runs created in the window, by current status")
    workers = WorkerCountsSerializer()
    tasks = TaskStatsSerializer()


class StatsView(BaseAPIView):
    required_roles = {"get": SYSTEM_READ}
    audit_type = "stats"

    @extend_schema(responses=StatsSerializer, summary="Runs by status (last hour, last 24 h), workers, tasks")
    def get(self, request):
        now = timezone.now()
        tasks = Task.objects.aggregate(total=Count("id"), enabled=Count("id", filter=Q(enabled=True)))
        workers = Worker.objects.order_by().values("status").annotate(n=Count("id"))
        return Response({
            "generated_at": now,
            "runs": {"last_hour": run_counts(now - timedelta(hours=1)), "last_24h": run_counts(now - timedelta(days=1))},
            "workers": _counts(Worker.Status.values, workers),
            "tasks": tasks,
        })


class StatsAliasView(StatsView):
    """/api/v1/stats/ (with the slash), the same as /api/v1/stats."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)
