"""What an operator does with a channel: send it a test message."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

from notifications_app import delivery, events, messages, senders
from notifications_app.models import Channel, Notification


def send_test(channel: Channel, by: str = "") -> Notification:
    """Send a test message now, from this process, and record it like any delivery (one
    attempt, no retry): the answer says at once whether the channel works."""
    now = timezone.now()
    token = secrets.token_hex(8)
    payload = messages.body(events.TEST, None, None, channel=channel, occurred_at=now)
    payload["text"] = f"A test message for channel {channel.name}" + (f", sent by {by}" if by else "") + "."
    notification = Notification.objects.create(
        channel=channel, event=events.TEST, dedupe_key=f"test:{channel.pk}:{token}", payload=payload,
        status=Notification.Status.SENDING, claim=token, attempts=1, created_at=now, next_attempt_at=now,
        claimed_until=now + timezone.timedelta(
            seconds=settings.TP.notifications.timeout_seconds * 2 + delivery.CLAIM_MARGIN_SECONDS),
    )
    outcome = senders.send(channel, notification)
    delivery.record(notification, token, outcome, channel.type)
    notification.refresh_from_db()
    return notification
