"""A webhook target that is down (connection refused) for 30 s: each notification is retried
with backoff, every attempt recorded with its error, and delivered once the target is back."""

import time

import pytest

from notifications_app.models import Channel, DeliveryAttempt, Notification, Rule
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.notifications.helpers import Receiver, configure, start_roles
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e
RUNS = 5
OUTAGE = 30


def test_messages_wait_out_an_outage_and_are_delivered_once(platform):
    configure(platform, max_attempts=30)
    receiver = Receiver()
    receiver.stop()  # down: nothing listens on its port
    try:
        task = Task.objects.create(name="ok", type="shell", spec={"command": "true"})
        Rule.objects.create(channel=Channel.objects.create(name="hook", type="webhook", url=receiver.url), task=task,
                            events=["succeeded"])
        start_roles(platform, "control", "worker", "dispatcher")
        down_since = time.monotonic()
        runs = [definitions.trigger(task).pk for _ in range(RUNS)]
        for run_id in runs:
            platform.wait_run(run_id, "succeeded", timeout=90)
        wait_for(lambda: Notification.objects.filter(attempts__gte=3).count() == RUNS, 60,
                 "three failed attempts of each notification")
        assert not Notification.objects.filter(status__in=["delivered", "failed"]).exists()
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_since)))
        assert not Notification.objects.filter(status__in=["delivered", "failed"]).exists()  # still waiting
        receiver.start()  # back, on the same port

        wait_for(lambda: Notification.objects.filter(status="delivered").count() == RUNS, 60, "every delivery")
        time.sleep(2)
        assert sorted(receiver.ids()) == sorted(Notification.objects.values_list("pk", flat=True))  # once each
        for notification in Notification.objects.all():
            attempts = list(DeliveryAttempt.objects.filter(notification=notification).order_by("attempt"))
            assert [a.attempt for a in attempts] == list(range(1, notification.attempts + 1))
            assert len(attempts) >= 4 and attempts[-1].ok and attempts[-1].response_code == 200
            assert all(not a.ok and "request failed" in a.error and "refused" in a.error.lower() for a in attempts[:-1])
            gaps = [(b.at - a.at).total_seconds() for a, b in zip(attempts, attempts[1:-1])]
            assert gaps[0] < gaps[-1]  # backed off: later retries wait longer than the first
    finally:
        receiver.stop()
