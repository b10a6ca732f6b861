"""A channel's secret is write-only: never in an API answer after it is set, never in the audit
log (redacted), never in a log line, and it signs what is sent."""

import logging

from audit_app.models import AuditEntry
from notifications_app.models import Channel
from tests.notifications.helpers import Receiver, signature_valid

CHANNELS = "/api/v1/notifications/channels/"
SECRET = "s3cr3t-do-not-show-9f8e7d"


def test_the_secret_is_never_returned_logged_or_audited(key_client, caplog):
    admin = key_client("Admin")
    receiver = Receiver()
    try:
        caplog.set_level(logging.DEBUG)
        created = admin.post(CHANNELS, {"name": "ops", "type": "webhook", "url": receiver.url, "secret": SECRET},
                             format="json")
        assert created.status_code == 201, created.content
        channel_id = created.json()["id"]
        answers = [created, admin.get(CHANNELS), admin.get(f"{CHANNELS}{channel_id}/"),
                   admin.patch(f"{CHANNELS}{channel_id}/", {"name": "ops2"}, format="json"),
                   admin.post(f"{CHANNELS}{channel_id}/test/")]
        for answer in answers:
            assert answer.status_code in (200, 201), answer.content
            assert SECRET not in answer.content.decode()
        assert created.json()["has_secret"] is True and "secret" not in created.json()
        assert Channel.objects.get().secret == SECRET  # kept by the PATCH that did not name it
        # The test message was sent, signed with it.
        assert answers[-1].json()["status"] == "delivered"
        assert signature_valid(receiver.requests[-1], SECRET)
        assert receiver.bodies()[-1]["event"] == "test"
        audit = list(AuditEntry.objects.filter(object_type="notification_channel").values_list("before", "after"))
        assert audit and SECRET not in repr(audit)
        assert SECRET not in caplog.text
        # Replaced with a new one; "" removes it.
        admin.patch(f"{CHANNELS}{channel_id}/", {"secret": "other"}, format="json")
        assert Channel.objects.get().secret == "other"
        assert admin.patch(f"{CHANNELS}{channel_id}/", {"secret": ""}, format="json").json()["has_secret"] is False
    finally:
        receiver.stop()
