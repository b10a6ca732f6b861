from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications_app import events
from notifications_app.models import Channel, DeliveryAttempt, Notification, Rule
from scheduler_project.api.fields import NonEmptyStringListField, ObjectField
from scheduler_project.api.serializers import ModelSerializer


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(events.RULE_EVENTS)}})
class EventListField(serializers.JSONField):
    """Checked by Rule.clean(), which names the unknown events and lists the known ones."""


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "email"}})
class AddressListField(serializers.JSONField):
    pass


class ChannelSerializer(ModelSerializer):
    """`secret` is write-only: never returned after it is set (has_secret says whether there is one).
    An update without `secret` keeps it; `"secret": ""` removes it."""

    to = AddressListField(required=False)
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200,
                                   style={"input_type": "password"})
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = ["id", "name", "type", "url", "format", "to", "secret", "has_secret", "template", "enabled",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "has_secret", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # the unique constraint decides (a 400 on `name`)

    def get_has_secret(self, channel) -> bool:
        return bool(channel.secret)


class RuleSerializer(ModelSerializer):
    events = EventListField()
    tags = NonEmptyStringListField(required=False)

    class Meta:
        model = Rule
        fields = ["id", "channel", "task", "tags", "events", "after_consecutive", "min_interval_seconds",
                  "late_after_seconds", "stale_after_seconds", "max_duration_seconds", "pause_after", "enabled",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class DeliveryAttemptSerializer(ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["attempt", "at", "ok", "response_code", "error", "duration_ms", "by"]
        read_only_fields = fields


DELIVERY_FIELDS = ["id", "channel", "channel_name", "rule", "task", "run", "event", "status", "attempts",
                   "next_attempt_at", "response_code", "last_error", "created_at", "delivered_at"]


class DeliverySerializer(ModelSerializer):
    """One notification to one channel, with its delivery status."""

    channel_name = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Notification.Status.choices, read_only=True)

    class Meta:
        model = Notification
        fields = DELIVERY_FIELDS
        read_only_fields = fields

    def get_channel_name(self, notification) -> str | None:
        names = self.context.get("channel_names")
        if names is not None:
            return names.get(notification.channel_id)
        channel = Channel.objects.filter(pk=notification.channel_id).only("name").first()
        return channel.name if channel else None


class DeliveryDetailSerializer(DeliverySerializer):
    """With the body sent (as of the event) and every attempt."""

    payload = ObjectField(read_only=True)
    delivery_attempts = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = [*DELIVERY_FIELDS, "payload", "delivery_attempts"]
        read_only_fields = fields
