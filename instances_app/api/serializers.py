from rest_framework import serializers

from instances_app.deadletters import valid_entry_id
from scheduler_project.api.serializers import Serializer


class InstanceSerializer(Serializer):
    instance_id = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField(), help_text="roles alive in this instance")
    leader = serializers.BooleanField(help_text="holds the leader lease: its beat fires the schedules")
    started_at = serializers.CharField(allow_null=True, help_text="as the instance reported it (ISO 8601)")
    version = serializers.CharField(allow_blank=True)
    host = serializers.CharField(allow_blank=True)
    pid = serializers.IntegerField(allow_null=True)
    inbox_pending = serializers.IntegerField(allow_null=True)
    seen_at = serializers.CharField(allow_null=True, help_text="when it last announced itself (ISO 8601)")


class InboxDeadLetterSerializer(Serializer):
    id = serializers.CharField(help_text='"inbox-<instance id>-<stream entry id>"')
    source = serializers.CharField(help_text='always "inbox"')
    instance_id = serializers.CharField()
    entry_id = serializers.CharField(help_text="the entry's id in the instance's DLQ stream")
    type = serializers.CharField(allow_null=True, help_text="the inbox message type")
    body = serializers.CharField(allow_null=True, help_text="the message body (JSON text)")
    reason = serializers.CharField(allow_blank=True)
    deliveries = serializers.IntegerField()
    history = serializers.ListField(child=serializers.JSONField(), help_text="each failed delivery")
    source_id = serializers.CharField(allow_null=True, help_text="its id in the inbox before the move")
    moved_at = serializers.CharField(allow_null=True)


class InboxReplayResultSerializer(Serializer):
    source = serializers.CharField()
    replayed = serializers.CharField()
    instance_id = serializers.CharField()
    inbox_entry_id = serializers.CharField()


INSTANCE_ID = r"[A-Za-z0-9_.:-]{1,200}"
STREAM_ENTRY_ID = r"[0-9]{1,20}-[0-9]{1,20}"


def _entry_id(value: str) -> str:
    if not valid_entry_id(value):
        raise serializers.ValidationError("each part of a stream entry id is at most 18446744073709551615")
    return value


class InboxPurgeSerializer(Serializer):
    instance = serializers.RegexField(rf"^{INSTANCE_ID}$", help_text="the instance whose DLQ to purge")
    ids = serializers.ListField(child=serializers.RegexField(rf"^{STREAM_ENTRY_ID}$", validators=[_entry_id]),
                                required=False, max_length=10000,
                                help_text="only these stream entry ids (default: the whole DLQ)")


class InboxPurgeResultSerializer(Serializer):
    source = serializers.CharField()
    instance_id = serializers.CharField()
    deleted = serializers.IntegerField()
