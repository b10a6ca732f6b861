from rest_framework import serializers

from tasks_app import states
from workers_app.models import Worker

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


class CheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "warning", "failed"])
    required = serializers.BooleanField(help_text="a failed required check makes the answer 503")
    latency_ms = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded", "unavailable"])
    checked_at = serializers.DateTimeField()
    checks = serializers.DictField(child=CheckSerializer())
