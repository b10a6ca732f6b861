from rest_framework import serializers

from scheduler_project.api.fields import StringListField
from scheduler_project.api.serializers import ModelSerializer, Serializer
from workers_app.models import RejectedMessage, Worker


class WorkerSerializer(ModelSerializer):
    """A worker node as its heartbeats describe it (read-only: the control role writes it)."""

    task_types = StringListField(read_only=True)
    tags = StringListField(read_only=True)
    queues = StringListField(read_only=True)
    running = StringListField(read_only=True, help_text="execution ids running at the last heartbeat")
    reserved = StringListField(read_only=True, help_text="execution ids received but not started at the last heartbeat")
    consuming = StringListField(read_only=True, help_text="queues consumed at the last heartbeat")
    healthy = serializers.BooleanField(read_only=True)
    drain_state = serializers.CharField(read_only=True, help_text='"", "draining", "drained" or "overdue"')

    class Meta:
        model = Worker
        exclude = ["id", "last_listed"]  # the control role's bookkeeping (reconciliation), not the node's state
        read_only_fields = [f.name for f in Worker._meta.concrete_fields if f.name not in ("id", "last_listed")]


class DrainSerializer(Serializer):
    deadline_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=7 * 86400,
        help_text="running work should end within this; default [worker] drain_deadline_seconds",
    )


class RejectedMessageSerializer(ModelSerializer):
    class Meta:
        model = RejectedMessage
        fields = ["id", "received_at", "reason", "detail", "queue", "exchange", "task_name", "message_id",
                  "content_type", "headers", "body", "body_size", "node", "role"]
        read_only_fields = fields
