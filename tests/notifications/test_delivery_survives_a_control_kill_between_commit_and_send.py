"""The outbox is rows, not messages: notifications committed by a control process that is then
killed with SIGKILL before it sent them are delivered once each by the control role started
again. One delivery thread, and the receiver holds the first request: when the control role is
killed, one notification is in flight and the others are committed, waiting their turn."""

import os
import signal

import pytest

from notifications_app.models import Channel, Notification, Rule
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.notifications.helpers import Receiver, configure, start_roles
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e
RUNS = 12


def test_notifications_committed_before_a_kill_are_delivered_once_after_restart(platform):
    configure(platform, concurrency=1)
    receiver = Receiver()
    receiver.hold.clear()  # the first request waits: the delivery thread is busy with it
    try:
        task = Task.objects.create(name="ok", type="shell", spec={"command": "true"})
        Rule.objects.create(channel=Channel.objects.create(name="hook", type="webhook", url=receiver.url), task=task,
                            events=["succeeded"])
        control = platform.start("control")
        start_roles(platform, "worker")
        platform.start("dispatcher")
        runs = [definitions.trigger(task).pk for _ in range(RUNS)]
        for run_id in runs:
            platform.wait_run(run_id, "succeeded", timeout=90)
        wait_for(lambda: Notification.objects.count() == RUNS, 30, f"{RUNS} notifications written")
        wait_for(lambda: len(receiver.requests) == 1, 30, "the first request (held by the receiver)")
        waiting = Notification.objects.filter(status="pending", attempts=0).count()
        assert waiting == RUNS - 1  # committed, not sent

        os.killpg(control.pid, signal.SIGKILL)
        control.wait(timeout=10)
        receiver.abandon()  # the held request's sender is gone: it gets no answer
        platform.start("control", name="control-again")

        wait_for(lambda: len(set(receiver.ids())) == RUNS, 90,
                 lambda: f"{RUNS} delivered, have {sorted(set(receiver.ids()))}; rows "
                 f"{list(Notification.objects.values_list('pk', 'status', 'attempts', 'next_attempt_at', 'claimed_until'))}")
        wait_for(lambda: not Notification.objects.exclude(status="delivered").exists(), 30, "every row delivered")
        delivered = receiver.ids()
        assert sorted(delivered) == sorted(set(delivered)), "a notification was delivered twice"
        received = receiver.ids(answered_only=False)
        in_flight = received[0]
        # Only the one in flight at the kill was sent again (its claim expired); it never got an answer.
        assert sorted(received) == sorted([*set(delivered), in_flight])
        assert Notification.objects.get(pk=in_flight).attempts == 2
        assert set(Notification.objects.exclude(pk=in_flight).values_list("attempts", flat=True)) == {1}
    finally:
        receiver.stop()
