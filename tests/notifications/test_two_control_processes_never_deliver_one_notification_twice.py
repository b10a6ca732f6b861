"""Two control processes (two instances) both told to deliver the same notifications, by
messages and by their sweeps: each notification reaches the receiver once (the claim is a
conditional UPDATE that changes one row), and both processes take part."""

import pytest
from django.db import transaction

from notifications_app import delivery
from notifications_app.models import Channel, DeliveryAttempt, Notification
from notifications_app.outbox import write
from tests.notifications.helpers import Receiver
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e
COUNT = 200


def test_each_notification_is_delivered_once(platform):
    receiver = Receiver()
    receiver.delay = 0.01
    try:
        channel = Channel.objects.create(name="hook", type="webhook", url=receiver.url)
        platform.start("control")
        platform.start("control", instance="second")
        platform.start("dispatcher")  # both controls sweep too
        wait_for(lambda: "ready" in platform.log("control") and "ready" in platform.log("control-second"), 60,
                 "both control processes")
        with transaction.atomic():
            ids = [write(None, "test", f"dup-{n}", {"event": "test", "title": "t", "text": str(n), "links": {}},
                         channel=channel).pk for n in range(COUNT)]
        for batch in range(0, COUNT, 10):  # every id told twice: both processes race for each
            delivery.kick(ids[batch:batch + 10])
            delivery.kick(ids[batch:batch + 10])

        wait_for(lambda: Notification.objects.filter(status="delivered").count() == COUNT, 120,
                 lambda: f"{COUNT} delivered ({Notification.objects.filter(status='delivered').count()} so far)")
        received = receiver.ids(answered_only=False)
        assert sorted(received) == sorted(ids)  # each once: none twice, none missing
        assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
        senders = set(DeliveryAttempt.objects.values_list("by", flat=True))
        assert len(senders) == 2, senders  # both instances delivered some
    finally:
        receiver.stop()
