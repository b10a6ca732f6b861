"""Guarantee 3 at volume: `started` and `finished` events for 1,000 runs, each delivered one to
three times, shuffled across runs and kinds, and applied in mixed batches of 1 to 60 events, each
batch in one transaction, two batches at once (as the control role applies the status queue:
events.apply_batch, scheduler_project.group_commit), end every run exactly as the same events
applied one by one in order end its twin: the run's row and its attempt's record, field by field
(issue 20)."""

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection

from scheduler_project.group_commit import GroupCommitTask
from tasks_app import states
from tasks_app.models import Run, RunAttempt
from tasks_app.services import events

pytestmark = pytest.mark.broker_agnostic
RUNS = 1000
IN_FLIGHT = GroupCommitTask.max_in_flight
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# How each run ends: (task: max_retries, finished status, exit code); a failure with a retry
# left moves the run to `retrying`, whose next attempt time follows from the event's time.
ENDINGS = [(0, "succeeded", 0), (0, "failed", 1), (1, "failed", 2), (0, "timed_out", None), (1, "lost", None)]
RUN_FIELDS = ("status", "attempt", "worker", "node", "exit_code", "http_status", "stdout", "stderr", "error",
              "started_at", "finished_at", "next_attempt_at", "routing_error")
ATTEMPT_FIELDS = ("attempt", "status", "worker", "started_at", "finished_at", "exit_code", "http_status", "error")


@pytest.fixture
def quiet_stops(monkeypatch):
    """A duplicate `started` after the end asks the node to stop the execution (a broadcast):
    recorded here, it is not the run's state."""
    asked = []
    monkeypatch.setattr(events, "stop_execution", lambda *args: asked.append(args))
    return asked


def make_runs(make_task, label: str) -> list[Run]:
    tasks = {retries: make_task(name=f"{label}-{retries}", max_retries=retries, retry_delay_seconds=30,
                                 retry_jitter=False)
             for retries in {e[0] for e in ENDINGS}}
    return Run.objects.bulk_create([
        Run(task=tasks[ENDINGS[i % len(ENDINGS)][0]], status=states.QUEUED, trigger=Run.Trigger.MANUAL, attempt=1,
            fence=f"{label}{i}", queue="tasks.shell", queued_at=T0) for i in range(RUNS)])


def events_of(i: int, run: Run) -> list[dict]:
    _, status, exit_code = ENDINGS[i % len(ENDINGS)]
    base = {"run_id": run.pk, "attempt": 1, "fence": run.fence, "worker": f"w{i % 7}", "node": f"worker@w{i % 7}"}
    started_at = T0 + timedelta(milliseconds=i)
    finished = {**base, "kind": "finished", "status": status, "at": (started_at + timedelta(seconds=2)).isoformat(),
                "stdout": f"out {i}\n"}
    if exit_code is not None:
        finished["exit_code"] = exit_code
    if status in ("timed_out", "lost"):
        finished["error"] = f"{status} after 2 s"
    return [{**base, "kind": "started", "at": started_at.isoformat()}, finished]


def apply(event: dict) -> str:
    """The twin's events, one at a time and in order (a deadlock victim is applied again)."""
    for _ in range(10):
        try:
            return events.apply_event(event)
        except OperationalError:
            continue
    raise AssertionError(f"event kept failing: {event}")


def apply_batches(batches: list[list[dict]]) -> None:
    """As the control role does: IN_FLIGHT batches at once, each in one transaction; an event a
    database error sent back (a deadlock victim, say) is applied again, as its requeued message is."""
    def one(batch):
        try:
            for _ in range(10):
                verdicts = events.apply_batch(batch)
                assert events.RETRY in verdicts or set(verdicts) <= {"applied", "duplicate", "ignored", "late",
                                                                      "stopped"}, verdicts
                batch = [event for event, verdict in zip(batch, verdicts) if verdict == events.RETRY]
                if not batch:
                    return
            raise AssertionError(f"events kept failing: {batch}")
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        list(pool.map(one, batches))


def state(run_ids: list[int]) -> list[tuple]:
    runs = {r["id"]: r for r in Run.objects.filter(pk__in=run_ids).values("id", *RUN_FIELDS)}
    attempts = {}
    for a in RunAttempt.objects.filter(run_id__in=run_ids).order_by("attempt").values("run_id", *ATTEMPT_FIELDS):
        attempts.setdefault(a.pop("run_id"), []).append(tuple(a.values()))
    return [(tuple(runs[pk][f] for f in RUN_FIELDS), tuple(attempts.get(pk, ()))) for pk in run_ids]


def test_every_run_ends_as_if_its_events_came_once_and_in_order(make_task, transactional_db, redis_prefix,
                                                                  quiet_stops):
    in_order, messy = make_runs(make_task, "ordered"), make_runs(make_task, "messy")

    for i, run in enumerate(in_order):
        for event in events_of(i, run):
            apply(event)

    rng = random.Random(20)
    stream = [dict(e) for i, run in enumerate(messy) for e in events_of(i, run) for _ in range(rng.randint(1, 3))]
    rng.shuffle(stream)
    kinds_reordered = sum(
        1 for i, run in enumerate(messy)
        if next(e["kind"] for e in stream if e["run_id"] == run.pk) == "finished")
    assert kinds_reordered > RUNS // 4  # the shuffle did put many `finished` before their `started`
    batches = []
    while stream:
        size = rng.randint(1, 60)
        batches.append(stream[:size])
        stream = stream[size:]
    assert len(batches) > 40
    apply_batches(batches)

    expected, found = state([r.pk for r in in_order]), state([r.pk for r in messy])
    different = [(i, want, got) for i, (want, got) in enumerate(zip(expected, found)) if want != got]
    assert not different, f"{len(different)} runs differ, e.g. {different[:3]}"
    statuses = {row[0][0] for row in found}
    assert statuses == {states.SUCCEEDED, states.FAILED, states.RETRYING, states.TIMED_OUT}
