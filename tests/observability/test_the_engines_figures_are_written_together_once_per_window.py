"""The engine records its figures once per status event with coalesce=True
(scheduler_project/metrics/counters.py): written at once when the process wrote nothing for
COALESCE_SECONDS, else kept and written together by the window's timer, in one round trip, exactly
(nothing lost, nothing twice). A plain record takes what is kept along; a scrape shows what its own
process keeps; a forked child never writes what its parent kept."""

import os

import pytest

from scheduler_project.metrics import counters
from scheduler_project.redis_store.client import get_counting_redis
from tasks_app import states
from tasks_app.services import events
from tests import factories
from tests.observability.helpers import scrape_platform
from tests.support.processes import wait_for
from tests.support.redis import counting_round_trips

LABELS = {"task_type": "shell", "status": "succeeded"}
SERIES = ("tasks_executed_total", (("status", "succeeded"), ("task_type", "shell")))


def stored() -> int:
    """The count in Redis itself (a scrape would write what this process keeps first)."""
    metric = counters.METRICS["tasks_executed_total"]
    found = get_counting_redis().hget(counters.metric_key(metric.name), counters.label_field(metric, LABELS))
    return int(found or 0)


def succeeded(times: int = 1) -> None:
    for _ in range(times):
        counters.record(increments=[("tasks_executed_total", LABELS, 1)], coalesce=True)


@pytest.fixture
def window(redis_prefix, monkeypatch):
    """A window long enough that no stall of a busy machine ends it by surprise; this process
    starts it with nothing kept and a write long ago (the first record goes out at once)."""
    counters.flush()
    monkeypatch.setattr(counters, "COALESCE_SECONDS", 2.0)
    monkeypatch.setattr(counters, "_last_write", 0.0)
    get_counting_redis().ping()  # connected beforehand: the handshake is no write
    yield
    counters.flush()


def test_records_within_the_window_wait_for_its_timer_and_go_in_one_round_trip(window):
    with counting_round_trips() as sends:
        succeeded(21)
        assert sends["round trips"] == 1  # the first at once, the twenty others kept
    assert stored() == 1
    assert counters.pending_fields() == 1  # twenty increments of one series, aggregated
    with counting_round_trips() as sends:
        wait_for(lambda: counters.pending_fields() == 0, 10, "the window's timer to write what it kept")
    assert stored() == 21
    assert sends["round trips"] == 1  # the timer's one write (wait_for reads no Redis)


def test_a_plain_record_takes_what_is_kept_along(window):
    succeeded(3)
    assert stored() == 1
    counters.incr("scheduler_phase2_dlq_moved_total", {"instance_id": "i1"})  # not coalesced
    assert stored() == 3
    assert counters.pending_fields() == 0


def test_a_scrape_shows_what_its_own_process_keeps(window):
    succeeded(2)
    assert stored() == 1
    assert scrape_platform()[SERIES] == 2


def test_a_forked_child_never_writes_what_its_parent_kept(window):
    succeeded(2)
    assert counters.pending_fields() == 1
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's to write; flush() must find nothing
        os._exit(0 if counters.pending_fields() == 0 and counters.flush() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert stored() == 1
    assert counters.flush()
    assert stored() == 2  # the parent's own write, once


@pytest.mark.django_db
def test_the_engine_records_each_conclusion_coalesced(window, django_capture_on_commit_callbacks):
    task = factories.task(max_retries=0)
    runs = [factories.run(task, status=states.RUNNING, fence=f"f{i}", worker="w1") for i in range(3)]
    for run in runs:
        with django_capture_on_commit_callbacks(execute=True):
            assert events.apply_event({"kind": "finished", "run_id": run.pk, "attempt": 1, "fence": run.fence,
                                       "worker": "w1", "node": "worker@w1", "status": "succeeded",
                                       "exit_code": 0}) == "applied"
    assert stored() == 1  # the first conclusion's figures at once, the two others kept
    assert counters.flush()
    assert stored() == 3
