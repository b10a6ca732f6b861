"""Applying what workers report (guarantee 3).

Events carry (run_id, attempt, fence). Each is applied as a compare-and-set against the
transition table, so a duplicate, a late `started` after `finished`, or any event of a
superseded attempt changes nothing. An execution that should not be running at all (its
run was cancelled, or a newer attempt exists, or the broker delivered it twice) is told
to stop.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import datetime

from django.db import OperationalError, transaction
from django.utils import timezone

from scheduler_project import log_context, wire
from tasks_app import (
    metrics,  # counted once, after commit
    states,
)
from tasks_app.models import Run, RunAttempt, statements
from tasks_app.services import dispatch, retry_policy, run_events
from tasks_app.services.stopping import answer_claim, stop_execution

log = logging.getLogger(__name__)
DETAIL_FIELDS = ("exit_code", "http_status", "stdout", "stderr", "response_headers", "error")
# The columns each event reads from the run it locks (and its task's, for a conclusion's retry
# policy and metrics): a run has some fifty, and selecting all of them (compiling the select
# list, converting and loading every value) was a fifth of the control role's work per event.
# A field read that is not listed still works: Django loads it with a query of its own.
FIRE_LAG_READS = ("trigger", "scheduled_for")  # what _observe_fire_lag reads of a run
STARTED_READS = ("task_id", "attempt", "fence", "status", "worker", "claim", "cancel_requested_at", *FIRE_LAG_READS)
CONCLUSION_READS = ("task_id", "attempt", "fence", "status", "worker", "cancel_requested_at", "started_at")
CONCLUSION_TASK_READS = ("name", "type", "max_retries", "retry_delay_seconds", "retry_backoff",
                         "retry_delay_max_seconds", "retry_jitter")


class InvalidEvent(ValueError):
    pass


def _parse(event) -> tuple[int, int, str, datetime]:
    if not isinstance(event, dict):
        raise InvalidEvent(f"event must be an object, got {type(event).__name__}")
    missing = [k for k in ("kind", "run_id", "attempt", "fence", "worker", "node") if k not in event]
    if missing:
        raise InvalidEvent(f"event lacks {', '.join(missing)}")
    try:
        run_id, attempt, fence = int(event["run_id"]), int(event["attempt"]), str(event["fence"])
        at = datetime.fromisoformat(event["at"]) if event.get("at") else timezone.now()
    except (TypeError, ValueError) as exc:
        raise InvalidEvent(f"bad run_id/attempt/at: {exc}") from None
    return run_id, attempt, fence, at


def _record_attempt(run_id: int, attempt: int, **fields) -> None:
    """Write the attempt's row: INSERT, or on conflict on (run, attempt) UPDATE these fields, in
    one statement written out once (models.statements): update_or_create took up to six round
    trips per event, and bulk_create(update_conflicts=True) compiled the statement each time,
    a sixth of the control role's work per event."""
    statements.upsert(RunAttempt(run_id=run_id, attempt=attempt, **fields), conflict=("run", "attempt"),
                      updated=tuple(fields))


def apply_event(event: dict) -> str:
    if not isinstance(event, dict):
        raise InvalidEvent(f"event must be an object, got {type(event).__name__}")
    # Every line about this event (ours, the database's, a stop request's) names its run.
    with log_context.bound(run_id=event.get("run_id"), task_id=event.get("task_id"), task=event.get("task"),
                           attempt=event.get("attempt"), worker_id=event.get("worker")):
        return _apply(event)


_batch = threading.local()  # while apply_batch runs in this thread: the tasks whose runs it concluded
RETRY = "retry"  # apply_batch's verdict for an event a database error kept from being applied


def apply_batch(batch: list) -> list[str]:
    """Apply a batch of status events (the control role's status queue, taken several at a
    time: scheduler_project.group_commit) and return one verdict per event, in the batch's order:
    what apply_event returns, "rejected" for an invalid event, RETRY for one a database error
    kept from being applied (its message goes back to the queue), "failed" for any other error.

    One transaction for the whole batch: one BEGIN and one COMMIT, and the after-commit work
    (claim answers, metrics, live events) once the batch is durable. Inside it, each event is
    still its own compare-and-set on its own run, exactly as apply_event does it alone: the
    engine's blocks join the batch's transaction (savepoint=False), so an error in any event
    spoils the transaction, and then the batch is rolled back as a whole and each of its events
    applied again on its own. That costs a batch with a bad event twice the work, and no event
    ever a savepoint's two statements.

    The events are applied in the order of their run ids (stable: a run's own events keep their
    order), so two batches applied at once lock the runs they share in the same order and cannot
    deadlock each other."""
    if len(batch) == 1:
        return [_apply_alone(batch[0], batch_size=1)]
    order = sorted(range(len(batch)), key=lambda i: _run_key(batch[i]))
    verdicts: list = [None] * len(batch)
    try:
        with transaction.atomic(), metrics.counted_together(batch_size=len(batch)), _held_released_together():
            for i in order:
                verdicts[i] = apply_event(batch[i])
        return verdicts
    except Exception as exc:  # noqa: BLE001  each event gets its own verdict below
        log.info("a batch of %s status events is applied one by one: %s: %s", len(batch), type(exc).__name__, exc)
    metrics.status_batch_applied(len(batch))  # the batch's transaction rolled back, its size with it
    alone = {i: _apply_alone(batch[i]) for i in order}
    return [alone[i] for i in range(len(batch))]


@contextmanager
def _held_released_together():
    """Within the batch's transaction, as metrics.counted_together: a held run is looked for
    once per task of the batch once it commits, not once per conclusion."""
    _batch.concluded_tasks = concluded = set()
    try:
        yield
        if concluded:
            transaction.on_commit(lambda: _release_held(concluded))
    finally:
        _batch.concluded_tasks = None


def _release_held(task_ids: set) -> None:
    # After the conclusion's commit: an error here must not make an applied event look failed
    # (or, a database error, send it back to the queue, where its duplicate would release
    # nothing). A held run left behind is the sweep's (dispatch.release_stranded).
    for task_id in sorted(task_ids):
        try:
            dispatch.release_held(task_id)
        except Exception:  # noqa: BLE001  the other tasks go on
            log.exception("releasing a held run of task %s failed; the sweep releases it", task_id)


def _after_conclusion(task_id: int) -> None:
    """Overlap policy queue: once the conclusion commits, dispatch the task's oldest held run."""
    tasks = getattr(_batch, "concluded_tasks", None)
    if tasks is not None:
        tasks.add(task_id)
    else:
        transaction.on_commit(lambda: _release_held({task_id}))


def _run_key(event) -> int:
    try:
        return int(event.get("run_id"))
    except (AttributeError, TypeError, ValueError):
        return -1  # invalid: rejected on its own


def _apply_alone(event, batch_size: int = 0) -> str:
    """One event in its own transaction, as the one-message-per-event task did. batch_size: the
    event is a batch of its own (1), whose size is counted with the event's own figures."""
    try:
        with transaction.atomic(), metrics.counted_together(batch_size):
            return apply_event(event)
    except Exception as exc:
        if batch_size:
            metrics.status_batch_applied(batch_size)  # rolled back with the event's transaction
        return _verdict_of_error(event, exc)


def _verdict_of_error(event, exc: Exception) -> str:
    if isinstance(exc, InvalidEvent):
        log.error("rejected a run event: %s: %r", exc, event)
        return "rejected"
    if isinstance(exc, OperationalError):  # a deadlock victim, a lock timeout, the database away
        log.warning("a run event goes back to the queue: %s: %r", exc, event)
        return RETRY
    log.error("applying a run event failed: %r", event, exc_info=exc)
    return "failed"


def _apply(event: dict) -> str:
    kind = event.get("kind")
    if kind == "started":
        return apply_started(event)
    if kind == "finished":
        return apply_finished(event)
    if kind == "output":
        _parse(event)
        if not isinstance(event.get("lines"), list):
            raise InvalidEvent("output event without a list of lines")
        return f"forwarded to {run_events.output(event)} instance(s)"
    raise InvalidEvent(f"unknown event kind {kind!r}")


def apply_started(event: dict) -> str:
    """A delivery's `started`. With `claim` (a token the delivery drew), it is the delivery's
    start claim: the delivery waits for the answer (go / stop, stopping.answer_claim) before it
    starts its command. The first claim of the current attempt moves the run to running and
    records its token; a claim with that same token (asked again: the answer was lost) gets go
    again, any other (a second delivery of the attempt, the attempt superseded, the run
    cancelled) gets stop: an attempt's command starts at most once, a cancelled run's never.
    Without `claim` (a node from before claims): applied as before, and an execution that
    must not go on is told to stop after it started."""
    run_id, attempt, fence, at = _parse(event)
    worker, node = str(event["worker"]), str(event["node"])
    claim = event.get("claim")
    claim = str(claim) if claim else ""
    to_queue = event.get("answer_to") == wire.ANSWER_TO_QUEUE  # else a node of an older version
    execution_id = f"run-{run_id}-a{attempt}-{fence}"

    def answer(verdict: str, reason: str = "") -> None:
        if claim:
            transaction.on_commit(lambda: answer_claim(node, execution_id, claim, verdict, reason, to_queue))

    with transaction.atomic(savepoint=False):  # apply_batch: see there
        # The run's row is locked before the RunAttempt row is written, as conclude_attempt
        # does: writing the RunAttempt row takes a key-share lock on the run (its foreign key)
        # after its unique index entry, so two events of one attempt taking the locks in the
        # other order would deadlock. The first start's move is that lock (an UPDATE locks the
        # row it changes) and its read (RETURNING): one statement where the usual case took a
        # locked read and then the move. A move that changed nothing locked nothing: the locked
        # read below says why.
        moved = Run.objects.moved_attempt(run_id, attempt, fence, states.RUNNING, FIRE_LAG_READS, uncancelled=True,
                                          worker=worker, node=node, started_at=at, routing_error="", claim=claim)
        if moved is not None:
            _record_attempt(run_id, attempt, fence=fence, status=states.RUNNING, worker=worker, started_at=at)
            _observe_fire_lag(moved, attempt, at)
            run_events.status_changed(run_id)
            answer("go")
            return "applied"
        run = Run.objects.locked(run_id, STARTED_READS)
        if run is None:
            answer("stop", f"run {run_id} does not exist")
            if claim:
                return "stopped"
            raise InvalidEvent(f"run {run_id} does not exist")
        if (run.attempt, run.fence, run.status, run.worker) == (attempt, fence, states.RUNNING, worker) and (
                not claim or (claim == run.claim and not run.cancel_requested_at)):
            answer("go")  # the same delivery asking again
            return "duplicate"
        # Overtaken by its own `finished` (control handles events concurrently): keep the start time,
        # and the node, which only `started` reports; the run ends as if the two had come in order.
        # (A start claim is asked before the command starts: its `finished` cannot overtake it.)
        if not claim and RunAttempt.objects.filter(
            run_id=run_id, attempt=attempt, fence=fence, worker=worker, finished_at__isnull=False,
            started_at__isnull=True,
        ).update(started_at=at):
            Run.objects.filter(pk=run_id, attempt=attempt, fence=fence, started_at__isnull=True).update(
                started_at=at, node=node)
            metrics.attempt_started_late(run_id, attempt, at)
            _observe_fire_lag(run, attempt, at)
            return "late"
        if run.status == states.RUNNING and run.attempt == attempt and run.fence == fence:
            reason = f"attempt {attempt} already runs on {run.worker}"
        elif run.cancel_requested_at:
            reason = "the run was cancelled"
        else:
            reason = f"run is {run.status} at attempt {run.attempt}"
        if claim:
            answer("stop", reason)
            return "stopped"
    stop_execution(node, execution_id, reason)
    return "stopped"


def _observe_fire_lag(run: Run, attempt: int, at: datetime) -> None:
    """Only where the start is recorded, once: a duplicate `started` changes nothing above."""
    if attempt == 1 and run.trigger == Run.Trigger.SCHEDULE and run.scheduled_for is not None:
        metrics.fire_started(run.scheduled_for, at)


def apply_finished(event: dict) -> str:
    run_id, attempt, fence, at = _parse(event)
    outcome = event.get("status")
    if outcome not in states.ATTEMPT_OUTCOMES:
        raise InvalidEvent(f"finished event with status {outcome!r}")
    details = {k: event[k] for k in DETAIL_FIELDS if event.get(k) is not None}
    concluded = conclude_attempt(run_id, attempt, fence, outcome, details, at, worker=str(event["worker"]))
    return "applied" if concluded else "ignored"


def conclude_attempt(run_id, attempt, fence, outcome, details, at, worker="") -> str | None:
    """Record how an attempt ended and move the run on: final, retrying or dead.

    Returns the run's new status, or None when the attempt was no longer current.
    """
    with transaction.atomic(savepoint=False):  # a caller's error handling is its own transaction's
        # The run's row only (Run.objects.locked): not its task's, which its triggers lock.
        run = Run.objects.locked(run_id, CONCLUSION_READS, CONCLUSION_TASK_READS)
        if run is None or (run.attempt, run.fence) != (attempt, fence):
            return None
        if worker and run.worker and worker != run.worker:
            # A second delivery of this attempt, stopped on another node: its end is not the run's.
            return None
        late = False
        if run.status in states.LATE_REPORT_SOURCES:
            # Accepted only as the real outcome of this attempt concluded lost, while no newer
            # attempt started ((attempt, fence) above is still the current one).
            late = outcome != states.LOST and RunAttempt.objects.filter(
                run_id=run_id, attempt=attempt, fence=fence, status=states.LOST).exists()
            if not late:
                return None
            details = dict(details, error=(details.get("error") or "") + (
                "; " if details.get("error") else "") + "reported after the attempt had been concluded lost")
        if outcome == states.CANCELLED and not run.cancel_requested_at:
            # Stopped on the control role's word (an execution that must not go on), not by a
            # cancel: a stop the control ordered is never a run's final `cancelled`.
            outcome = states.LOST
            details = dict(details, error=f"stopped by the control role, not cancelled: {details.get('error', '')}")
        if run.cancel_requested_at and outcome != states.SUCCEEDED:
            target = states.CANCELLED  # a cancel outranks what the kill looked like
        else:
            target = retry_policy.outcome_status(run.task, attempt, outcome)
        fields = dict(details, worker=worker or run.worker)
        if target == states.RETRYING:
            delay = retry_policy.retry_delay(run.task, attempt)
            fields["next_attempt_at"] = at + timezone.timedelta(seconds=delay)
        else:
            fields["finished_at"] = at
        moved = Run.objects.move_attempt(run_id, attempt, fence, target, late_report=late, **fields)
        if not moved:
            return None
        _record_attempt(
            run_id, attempt, fence=fence, status=outcome, worker=fields["worker"], finished_at=at,
            exit_code=details.get("exit_code"), http_status=details.get("http_status"), error=details.get("error", ""),
        )
        if target in states.FINAL:
            _after_conclusion(run.task_id)
        started = run.started_at if run.status == states.RUNNING else None  # None: `finished` overtook `started`
        metrics.attempt_concluded(run.task.type, outcome, target, started, at)
        run_events.status_changed(run_id, target, attempt)  # with the attempt: its live output can go
        run_events.concluded(run_id, run.task_id, target, run.status, attempt)
    # The run's fields whoever concluded it (a status event, a lost worker, the sweep).
    log.info("run %s attempt %s ended %s -> %s", run_id, attempt, outcome, target,
             extra={"run_id": run_id, "task_id": run.task_id, "task": run.task.name, "attempt": attempt,
                    "worker_id": fields["worker"], "status": target})
    return target
