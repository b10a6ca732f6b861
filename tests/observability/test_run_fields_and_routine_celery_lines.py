"""The logging pieces behind LOG_FORMAT=json's promises, in either format: a bound run's fields on
every line logged meanwhile (and only in its own thread), a record's own fields first; Celery's
routine per-message lines at DEBUG, its other lines untouched."""

import logging
import threading

from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS

from scheduler_project import log_context
from scheduler_project.logging_config import ContextFilter, RoutineCeleryLines


def _record(msg="run ended", level=logging.INFO, name="tasks_app.services.events", **extra):
    record = logging.LogRecord(name, level, __file__, 1, msg, None, None)
    record.__dict__.update(extra)
    return record


def test_bound_run_fields_reach_every_record_of_the_thread_and_no_other():
    stamp = ContextFilter("inst", "control")
    elsewhere = {}
    with log_context.bound(run_id="12", task_id=3, task="nightly", attempt=2, worker_id="w1"):
        record = _record()
        stamp.filter(record)
        own = _record(run_id=99)  # a record's own field wins
        stamp.filter(own)
        thread = threading.Thread(target=lambda: elsewhere.update(log_context.current()))
        thread.start()
        thread.join()
    after = _record()
    stamp.filter(after)

    assert (record.run_id, record.task_id, record.task, record.attempt, record.worker_id) == (12, 3, "nightly", 2, "w1")
    assert (record.instance_id, record.role) == ("inst", "control")
    assert own.run_id == 99 and own.task == "nightly"
    assert elsewhere == {} and not hasattr(after, "run_id")


def test_unusable_values_are_left_out():
    with log_context.bound(run_id="x", attempt=None, task={"a": 1}, worker_id="w" * 500):
        assert log_context.current() == {"worker_id": "w" * 200}


def test_celerys_routine_lines_are_debug_and_the_rest_untouched():
    routine = RoutineCeleryLines()
    trace = logging.getLogger("celery.app.trace")
    previous = trace.level
    try:
        trace.setLevel(logging.INFO)
        for msg in (LOG_RECEIVED, LOG_SUCCESS, "Scheduler: Sending due task %s (%s)"):
            record = _record(msg, name="celery.app.trace")
            assert routine.filter(record) is False and record.levelname == "DEBUG"
        failure = _record("Task %(name)s[%(id)s] raised unexpected: %(exc)s", logging.ERROR, "celery.app.trace")
        ready = _record("%s ready.", name="celery.app.trace")
        assert routine.filter(failure) and failure.levelname == "ERROR"
        assert routine.filter(ready) and ready.levelname == "INFO"
        trace.setLevel(logging.DEBUG)
        kept = _record(LOG_SUCCESS, name="celery.app.trace")
        assert routine.filter(kept) is True and kept.levelno == logging.DEBUG
    finally:
        trace.setLevel(previous)
