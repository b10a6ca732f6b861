from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scheduler_project.api.fields import ObjectField
from scheduler_project.api.serializers import ModelSerializer, Serializer
from tasks_app import states
from tasks_app.api.fields import ScheduleField, SpecField, TagListField
from tasks_app.models import Run, RunAttempt, Task


class TaskSerializer(ModelSerializer):
    spec = SpecField()
    schedule = ScheduleField(required=False, allow_null=True)
    params = ObjectField(required=False)
    tags = TagListField(required=False)

    class Meta:
        model = Task
        fields = [
            "id", "name", "description", "type", "spec", "schedule", "params", "enabled", "timeout_seconds",
            "max_retries", "retry_delay_seconds", "retry_backoff", "retry_delay_max_seconds", "retry_jitter",
            "overlap_policy", "misfire_policy", "misfire_grace_seconds", "queue", "tags", "retention_days",
            "next_fire_at", "last_scheduled_for", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "next_fire_at", "last_scheduled_for", "created_at", "updated_at"]
        # The unique constraint decides (scheduler_project.api.errors answers its violation with
        # the same 400): DRF's validator would SELECT first, one round trip per write, racily.
        # The bounds Task.clean() enforces, declared again so the OpenAPI schema describes them.
        extra_kwargs = {"name": {"validators": []}, "retry_delay_seconds": {"min_value": 0},
                        "retry_delay_max_seconds": {"min_value": 0}, "retry_backoff": {"min_value": 1}}


class TriggerSerializer(Serializer):
    params = ObjectField(required=False, help_text="overrides of the task's default parameters")


class FireTimeSerializer(Serializer):
    utc = serializers.DateTimeField()
    local = serializers.CharField(help_text="ISO 8601 in the schedule's time zone, with its UTC offset")


class NextFiresSerializer(Serializer):
    task = serializers.IntegerField()
    timezone = serializers.CharField(help_text="the cron schedule's zone; UTC for intervals and one-offs")
    fires = FireTimeSerializer(many=True)


class RunAttemptSerializer(ModelSerializer):
    class Meta:
        model = RunAttempt
        fields = ["attempt", "status", "worker", "started_at", "finished_at", "exit_code", "http_status", "error"]


RUN_FIELDS = [
    "id", "task", "task_name", "status", "trigger", "triggered_by", "scheduled_for", "params", "attempt", "worker", "node",
    "queue",
    "hold_reason", "routing_error", "created_at", "queued_at", "started_at", "finished_at", "next_attempt_at", "exit_code",
    "http_status", "error", "cancel_requested_at", "cancelled_by", "replay_of",
]


class RunSerializer(ModelSerializer):
    """A run in a list: everything but the captured output (up to megabytes per run)."""

    task_name = serializers.CharField(source="task.name", read_only=True)
    params = ObjectField(read_only=True)
    status = serializers.ChoiceField(choices=states.STATUSES, read_only=True)

    class Meta:
        model = Run
        fields = RUN_FIELDS
        read_only_fields = RUN_FIELDS


class RunDetailSerializer(RunSerializer):
    """A run with its captured output and every attempt."""

    response_headers = ObjectField(read_only=True, allow_null=True)
    attempts = RunAttemptSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RUN_FIELDS, "stdout", "stderr", "response_headers", "attempts"]
        read_only_fields = fields


class ReplaySerializer(Serializer):
    params = ObjectField(required=False, help_text="merged over the original run's parameters")


class DeadLetterSerializer(Serializer):
    """One dead run: a run whose retries are exhausted (`source` "run"). The inbox dead letters
    (Redis streams, `source` "inbox") are under /api/v1/dlq/inbox/."""

    id = serializers.SerializerMethodField(help_text='"run-<run id>"')
    source = serializers.SerializerMethodField()
    run = serializers.IntegerField(source="pk")
    task = serializers.IntegerField(source="task_id")
    task_name = serializers.CharField(source="task.name")
    reason = serializers.CharField(source="error")
    attempts = serializers.IntegerField(source="attempt")
    params = ObjectField()
    worker = serializers.CharField()
    created_at = serializers.DateTimeField()
    failed_at = serializers.DateTimeField(source="finished_at", allow_null=True)

    def get_id(self, run) -> str:
        return f"run-{run.pk}"

    def get_source(self, run) -> str:
        return "run"


@extend_schema_field({"anyOf": [
    # What scheduler_project.durations.parse_cutoff takes: an age of at most 4 digits (older
    # cutoffs overflow), or a moment with its offset.
    {"type": "string", "pattern": r"^\s*0*[1-9][0-9]{0,3}\s*[wdhmsWDHMS]\s*$", "title": "age"},
    {"type": "string", "format": "date-time", "title": "moment"},
]})
class CutoffField(serializers.CharField):
    pass


class PurgeSerializer(Serializer):
    source = serializers.ChoiceField(choices=["run"], default="run")
    older_than = CutoffField(
        required=False, help_text='only dead letters older than this: a duration ("30d", "12h", "90m", "3600s") '
                                  "or an ISO 8601 date and time"
    )
    task = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    ids = serializers.ListField(child=serializers.RegexField(r"^run-[0-9]{1,18}$"), required=False, max_length=10000,
                                help_text='only these dead letters ("run-<id>")')


class PurgeResultSerializer(Serializer):
    source = serializers.CharField()
    deleted = serializers.IntegerField()
