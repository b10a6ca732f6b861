"""Real control, dispatcher (beat) and worker roles; a webhook receiver in the test. Each state
change is exactly one signed message with the documented body: a failure, the third failure in
a row, a recovery, a dead run, a late fire, a stale task, a long run. Nothing more arrives while
the states last (the sweeps keep running)."""

import time

import pytest

from notifications_app.models import Channel, Notification, Rule
from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.notifications.helpers import Receiver, signature_valid, start_roles
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e
SECRET = "hmac-key-of-the-test"
DOCUMENTED = {"id", "event", "title", "text", "occurred_at", "task", "run", "consecutive_failures", "sla", "links",
              "rule", "channel"}
RUN_FIELDS = {"id", "status", "previous_status", "attempt", "trigger", "scheduled_for", "started_at", "finished_at",
              "exit_code", "http_status", "error", "worker", "output"}


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.stop()


def run_once(platform, task) -> Run:
    run = definitions.trigger(task)
    return platform.wait_run(run.pk, {"succeeded", "failed", "dead", "timed_out"}, timeout=90)


def test_one_signed_message_per_state_change(platform, receiver, tmp_path):
    channel = Channel.objects.create(name="ops", type="webhook", url=receiver.url, secret=SECRET)
    ok_file = tmp_path / "ok"
    flaky = Task.objects.create(name="flaky", type="shell", max_retries=0,
                                spec={"command": f'echo "try $TP_RUN_ID"; test -f {ok_file} || exit 7'})
    doomed = Task.objects.create(name="doomed", type="shell", max_retries=1, retry_delay_seconds=0,
                                 spec={"command": "echo no; exit 2"})
    late = Task.objects.create(name="late", type="shell", max_retries=0, spec={"command": "exit 1"},
                               schedule={"interval_seconds": 3})
    stale = Task.objects.create(name="stale", type="shell", spec={"command": "true"})
    slow = Task.objects.create(name="slow", type="shell", spec={"command": "sleep 8"})
    rules = {
        "first": Rule.objects.create(channel=channel, task=flaky, events=["failed", "recovered"]),
        "third": Rule.objects.create(channel=channel, task=flaky, events=["failed"], after_consecutive=3),
        "dead": Rule.objects.create(channel=channel, task=doomed, events=["dead"]),
        "late": Rule.objects.create(channel=channel, task=late, events=["late"], late_after_seconds=1),
        "stale": Rule.objects.create(channel=channel, task=stale, events=["stale"], stale_after_seconds=3),
        "long": Rule.objects.create(channel=channel, task=slow, events=["long_running"], max_duration_seconds=2),
    }
    start_roles(platform, "control", "worker", "dispatcher")

    failed = [run_once(platform, flaky) for _ in range(3)]
    assert {r.status for r in failed} == {"failed"}
    ok_file.write_text("")
    recovered = run_once(platform, flaky)
    assert recovered.status == "succeeded"
    dead = run_once(platform, doomed)
    assert dead.status == "dead"
    long_run = definitions.trigger(slow)

    expected = {
        ("failed", rules["first"].pk, failed[0].pk), ("failed", rules["third"].pk, failed[2].pk),
        ("recovered", rules["first"].pk, recovered.pk), ("dead", rules["dead"].pk, dead.pk),
        ("long_running", rules["long"].pk, long_run.pk),
    }

    def seen():
        return {(b["event"], b["rule"], (b["run"] or {}).get("id")) for b in receiver.delivered()}

    wait_for(lambda: expected <= seen(), 90, lambda: f"{sorted(expected - seen())} (seen {sorted(seen())})")
    wait_for(lambda: {"late", "stale"} <= {b["event"] for b in receiver.delivered()}, 60, "late and stale messages")
    platform.wait_run(long_run.pk, "succeeded", timeout=60)
    time.sleep(4)  # four more sweeps and several more late fires: nothing new may arrive

    bodies = receiver.delivered()
    by_event = {}
    for body in bodies:
        by_event.setdefault(body["event"], []).append(body)
    assert sorted((e, len(v)) for e, v in by_event.items()) == [
        ("dead", 1), ("failed", 2), ("late", 1), ("long_running", 1), ("recovered", 1), ("stale", 1)]
    assert len({b["id"] for b in bodies}) == len(bodies) == len(receiver.requests)  # each once, no retry needed
    for request in receiver.requests:
        assert signature_valid(request, SECRET)
    for body in bodies:
        assert DOCUMENTED <= set(body), body
        assert body["links"]["api"].startswith("http") and body["channel"] == "ops"
        if body["run"] is not None:
            assert RUN_FIELDS <= set(body["run"])
    third = next(b for b in by_event["failed"] if b["rule"] == rules["third"].pk)
    assert third["consecutive_failures"] == 3 and third["run"]["exit_code"] == 7
    assert third["run"]["output"] == [f"try {failed[2].pk}"]
    assert third["task"]["name"] == "flaky"
    (late_body,) = by_event["late"]
    assert late_body["task"]["name"] == "late" and late_body["sla"]["threshold_seconds"] == 1
    (stale_body,) = by_event["stale"]
    assert stale_body["task"]["name"] == "stale" and "no successful run yet" in stale_body["sla"]["description"]
    (long_body,) = by_event["long_running"]
    assert long_body["run"]["status"] == "running" and long_body["sla"]["running_seconds"] >= 2
    assert Notification.objects.exclude(status="delivered").count() == 0
    assert all(n.attempts == 1 for n in Notification.objects.all())
