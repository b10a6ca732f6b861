"""A webhook that never answers in time: each attempt is recorded as a timeout, the notification
is given up after max_attempts with the reason, and meanwhile the engine goes on at full speed
(the delivery threads are apart from the pool applying run events). Nothing is lost: the rows
stay, with their history."""

import pytest

from notifications_app.models import Channel, Notification, Rule
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.notifications.helpers import Receiver, configure, start_roles
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def test_timeouts_are_recorded_given_up_and_harmless(platform):
    configure(platform, timeout_seconds=1, max_attempts=2, concurrency=1)
    receiver = Receiver()
    receiver.delay = 30  # answers long after the channel's timeout
    try:
        watched = Task.objects.create(name="watched", type="shell", max_retries=0, spec={"command": "exit 1"})
        busy = Task.objects.create(name="busy", type="shell", spec={"command": "true"})
        hook = Channel.objects.create(name="slow-hook", type="webhook", url=receiver.url)
        Rule.objects.create(channel=hook, task=watched, events=["failed", "cancelled"])
        start_roles(platform, "control", "worker", "dispatcher")
        failed = platform.wait_run(definitions.trigger(watched).pk, "failed", timeout=60)
        wait_for(lambda: receiver.requests, 30, "the first (hanging) request")

        # The only delivery thread hangs on the target; the engine does not notice.
        runs = [definitions.trigger(busy).pk for _ in range(10)]
        for run_id in runs:
            platform.wait_run(run_id, "succeeded", timeout=60)

        notification = wait_for(lambda: Notification.objects.filter(run_id=failed.pk, status="failed").first(), 60,
                                "the notification given up")
        assert notification.attempts == 2
        assert notification.last_error.startswith("gave up after 2 attempts; last: timed out after 1s")
        attempts = list(notification.delivery_attempts.values_list("ok", "error"))
        assert len(attempts) == 2 and all(not ok and "timed out" in error for ok, error in attempts)
        assert Task.objects.get(pk=watched.pk).enabled
    finally:
        receiver.stop()
