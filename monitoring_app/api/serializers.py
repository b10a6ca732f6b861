from rest_framework import serializers

from scheduler_project.api.serializers import Serializer
from tasks_app import states
from workers_app.models import Worker

# One integer per status, every status always present: a stable shape for dashboards.
StatusCountsSerializer = type(
    "StatusCountsSerializer", (serializers.Serializer,), {s: serializers.IntegerField() for s in states.STATUSES}
)
WorkerCountsSerializer = type(
    "WorkerCountsSerializer", (serializers.Serializer,), {s: serializers.IntegerField() for s in Worker.Status.values}
)


class RunStatsSerializer(Serializer):
    last_hour = StatusCountsSerializer()
    last_24h = StatusCountsSerializer()


class TaskStatsSerializer(Serializer):
    total = serializers.IntegerField()
    enabled = serializers.IntegerField()


class StatsSerializer(Serializer):
    generated_at = serializers.DateTimeField()
    runs = RunStatsSerializer(help_text="runs created in the window, by current status")
    workers = WorkerCountsSerializer()
    tasks = TaskStatsSerializer()


class CheckSerializer(Serializer):
    status = serializers.ChoiceField(choices=["ok", "warning", "failed"])
    required = serializers.BooleanField(help_text="a failed required check makes the answer 503")
    latency_ms = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class ReplicaSerializer(Serializer):
    name = serializers.CharField(help_text="its key in [database.read_replicas]")
    fit = serializers.BooleanField(help_text="read-only requests read from it (reachable, a standby, lag within bound)")
    lag_seconds = serializers.FloatField(allow_null=True, help_text="how long ago the primary was where it is now")
    bytes_behind = serializers.IntegerField(allow_null=True, help_text="WAL the primary has and it has not replayed")
    max_lag_seconds = serializers.FloatField(help_text="[database] replica_max_lag_seconds")
    in_recovery = serializers.BooleanField(allow_null=True)
    error = serializers.CharField(allow_blank=True, help_text="why it is skipped")
    checked_at = serializers.DateTimeField(allow_null=True, help_text="by this API process, every few seconds")


class HealthSerializer(Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded", "unavailable"])
    checked_at = serializers.DateTimeField()
    checks = serializers.DictField(child=CheckSerializer())
    replicas = ReplicaSerializer(many=True, help_text="[database.read_replicas]; empty when none is configured")
