"""Creating runs and handing them to the broker (guarantees 2 and 4).

A run and its outbox entry are written in one transaction; the entry is published after
commit. If the process dies in between, or the broker is away, the entry stays unpublished
and the sweep publishes it again. Consumers are idempotent on (run, attempt, fence).

Sending an entry needs its claim (OutboxEntry.claimed_at / claim_token), taken with a
conditional UPDATE that must change the row: two sweeps (two control processes, two
instances, or one control whose queued sweeps run side by side) race for each entry and only
the winner sends it. The transaction that writes an entry claims it in the INSERT itself, so
the hand-over after commit costs no extra round trip. A sender that fails (the broker is away)
gives its claim back at once; one that died holding it (killed between commit and send) loses
it after claim_timeout_seconds(), and a later sweep takes it over.

What the claim cannot exclude: a sender that is still inside send_task when its claim times
out (a broker connection hanging for longer than worker_timeout_seconds) and a sweep that then
sends the entry again. That second copy carries the same (run, attempt, fence) and is turned
away by the worker's start claim; marking it published counts only for the claim's holder.
"""

import functools
import logging
import secrets

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from scheduler_project import wire
from scheduler_project.queues import execution_queue
from tasks_app import states
from tasks_app.models import OutboxEntry, Run, Task, statements
from tasks_app.services import run_events

log = logging.getLogger(__name__)


def route(task: Task) -> str:
    if task.queue:
        return task.queue
    # Every tag is required: the queue names the whole set (scheduler_project.queues).
    return execution_queue(settings.TP.message_queue.task_queue, task.type, task.tags)


def execution_message(run: Run, task: Task) -> dict:
    """Everything a worker needs: it has no database to look anything up in."""
    return {
        "run_id": run.pk,
        "attempt": run.attempt,
        "fence": run.fence,
        "execution_id": run.execution_id,
        "task": task.name,
        "task_id": task.pk,
        "type": task.type,
        "spec": task.spec,
        "params": run.params,
        "timeout_seconds": task.timeout_seconds,
    }


def _fence(run: Run, task: Task) -> None:
    run.fence = secrets.token_hex(6)
    run.queue = route(task)
    run.hold_reason = ""


def claim_timeout_seconds() -> float:
    """How long a claim on an outbox entry holds: past it, its sender is presumed dead. A live
    sender is done well within it (a send that fails, fails fast: refused, or the broker
    connection's timeout); worker_timeout_seconds keeps a run whose publisher died within the
    bound of guarantee 9 (docs/architecture.md, "Recovery after faults")."""
    return settings.TP.dispatcher.worker_timeout_seconds


def _claimable(now) -> Q:
    """Unpublished, and claimed by nobody or by a sender presumed dead."""
    stale = now - timezone.timedelta(seconds=claim_timeout_seconds())
    return Q(published_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))


def _outbox_entry(run: Run, task: Task) -> OutboxEntry:
    # Claimed by its writer from the INSERT on: nobody else sees the row before the commit, and
    # after it the sweep leaves it alone until the writer has sent it, given the claim back, or
    # (dead) let it time out.
    return OutboxEntry(
        run=run, name=wire.EXECUTE, queue=run.queue, message_id=run.execution_id,
        payload={"execution": execution_message(run, task)},
        claimed_at=timezone.now(), claim_token=secrets.token_hex(8),
    )


def _hand_over_after_commit(entry: OutboxEntry) -> OutboxEntry:
    transaction.on_commit(lambda: hand_over(entry.pk, entry))
    return entry


def _write_outbox(run: Run, task: Task) -> OutboxEntry:
    entry = _outbox_entry(run, task)
    statements.insert(entry)
    return _hand_over_after_commit(entry)


def _insert_run(run: Run, dispatched_by: Task | None) -> None:
    """The new run's row and, when it is dispatched (dispatched_by: its task), its outbox entry.
    A run whose id was taken beforehand (PostgreSQL: _lock_task) goes in with its entry in one
    statement; else (SQLite) its insert gives it the id the entry names, and the entry follows."""
    if dispatched_by is None:
        statements.insert(run)
    elif run.pk is None:
        statements.insert(run)
        _write_outbox(run, dispatched_by)
    else:
        entry = _outbox_entry(run, dispatched_by)
        statements.insert_together(run, entry)
        _hand_over_after_commit(entry)


def enqueue_current_attempt(run: Run, task: Task) -> OutboxEntry:
    """Within the caller's transaction: fence the attempt and write its outbox entry."""
    _fence(run, task)
    Run.objects.filter(pk=run.pk).update(fence=run.fence, queue=run.queue, hold_reason="")
    return _write_outbox(run, task)


class _NoLongerAllow(Exception):
    """The caller's task said allow, its locked row says otherwise: decide again, exclusively."""


def _lock_task(task_id: int, shared: bool) -> tuple[Task, int | None]:
    """The task's row, locked, and the id of the run to create (None where the database has no
    sequence to take it from: the run's insert assigns it). forbid and queue decide on what is
    active, so their triggers take the row exclusively, one after another. allow decides
    nothing: its triggers share the lock (FOR SHARE), and run side by side, while a policy
    change (an UPDATE) or a forbid/queue trigger still waits for them, and they for it."""
    # Written out (models.statements): the ORM's compilation was a fifth of a trigger's CPU. The
    # run's id comes with the lock so that the run and its outbox entry, which names the run,
    # are one INSERT statement, not two round trips (bench/profile_dispatch.py).
    # SQLite has no row locks: its IMMEDIATE transactions serialise writers anyway.
    task, run_id = statements.read_locked_taking_id(
        Task, task_id, Run, lock=statements.SHARE if shared else statements.UPDATE)
    if task is None:
        raise Task.DoesNotExist(f"task {task_id} does not exist")
    return task, run_id


def create_run(task: Task, trigger: str, *, scheduled_for=None, params=None, replay_of=None, skip_reason="",
               by: str = "", locked: bool = False, run_id: int | None = None) -> Run | None:
    """Create a run and dispatch it, or record it as skipped or held, per the overlap policy.

    Returns None when (task, scheduled_for) already has its run: another dispatcher fired it.

    locked: the caller's transaction read `task` locked FOR UPDATE (firing.fire_due), so its
    fields are current until the commit and it is not read again; run_id, the run's id taken
    with that read (statements.read_locked_taking_id), if there is one not used yet.
    """
    options = dict(scheduled_for=scheduled_for, params=params, replay_of=replay_of, skip_reason=skip_reason, by=by)
    if locked:
        return _create_run(task.pk, trigger, shared=False, locked=(task, run_id), **options)
    if task.overlap_policy == Task.Overlap.ALLOW:
        try:
            return _create_run(task.pk, trigger, shared=True, **options)
        except _NoLongerAllow:
            pass
    return _create_run(task.pk, trigger, shared=False, **options)


def _create_run(task_id: int, trigger: str, *, shared: bool, scheduled_for, params, replay_of, skip_reason,
                by, locked: tuple[Task, int | None] | None = None) -> Run | None:
    try:
        return _create_run_in_transaction(task_id, trigger, shared=shared, scheduled_for=scheduled_for, params=params,
                                          replay_of=replay_of, skip_reason=skip_reason, by=by, locked=locked)
    except IntegrityError:
        # Only schedule fires can collide (the unique constraint covers them alone). The whole
        # block is rolled back, the run with its outbox entry (a savepoint under a fire's
        # transaction): a savepoint of the insert's own would cost a fire two round trips (B8).
        if trigger == Run.Trigger.SCHEDULE and Run.objects.filter(
                task_id=task_id, trigger=trigger, scheduled_for=scheduled_for).exists():
            return None  # another dispatcher fired it
        raise


def _create_run_in_transaction(task_id: int, trigger: str, *, shared: bool, scheduled_for, params, replay_of,
                               skip_reason, by, locked: tuple[Task, int | None] | None) -> Run:
    now = timezone.now()
    with transaction.atomic():
        # The task row lock serialises overlap decisions between control processes and instances.
        task, run_id = locked if locked is not None else _lock_task(task_id, shared)
        if shared and task.overlap_policy != Task.Overlap.ALLOW:
            raise _NoLongerAllow  # rolls this block back, lock included
        run = Run(
            id=run_id, task=task, trigger=trigger, scheduled_for=scheduled_for, replay_of=replay_of,
            triggered_by=by[:200], params={**task.params, **(params or {})}, created_at=now,
        )
        # Only forbid and queue look at what is active (one query per trigger saved for allow).
        looks = not skip_reason and task.overlap_policy != Task.Overlap.ALLOW
        active = task.runs.filter(status__in=states.ACTIVE).order_by("created_at").first() if looks else None
        if skip_reason:
            run.status, run.error, run.finished_at = states.SKIPPED, skip_reason, now
        elif active and task.overlap_policy == Task.Overlap.FORBID:
            run.status, run.finished_at = states.SKIPPED, now
            run.error = f"overlap policy forbid: run {active.pk} is still {active.status}"
        elif active and task.overlap_policy == Task.Overlap.QUEUE:
            run.hold_reason = f"overlap policy queue: waiting for run {active.pk}"
        dispatched = run.status == states.PENDING and not run.hold_reason
        if dispatched:
            _fence(run, task)  # fenced in the insert itself, not by an update after it
        _insert_run(run, task if dispatched else None)
        if run.status == states.SKIPPED:
            run_events.concluded(run.pk, task.pk, states.SKIPPED, states.PENDING, run.attempt)
    return run


def hand_over(entry_id: int, entry: OutboxEntry | None = None) -> bool:
    """Hand one outbox entry to the broker: claim it, send it, mark it published, and record its
    run as queued (if the run is still at that attempt and waiting). Returns whether this call
    sent it; False when someone else holds or held the entry (or the broker refused it).

    `entry`, from the transaction that just wrote (and claimed) it, saves both the claim's
    UPDATE and reading the row back."""
    now = timezone.now()
    if entry is not None and entry.claim_token and entry.published_at is None:
        token = entry.claim_token
        age = (now - entry.claimed_at).total_seconds() if entry.claimed_at else float("inf")
        if age > claim_timeout_seconds() / 2:
            # A long transaction: renew the claim before sending, or a sweep may have taken it.
            renewed = OutboxEntry.objects.filter(pk=entry.pk, claim_token=token, published_at__isnull=True).update(
                claimed_at=now)
            if renewed != 1:
                return False
        return _send(entry, token)
    token = secrets.token_hex(8)
    if OutboxEntry.objects.filter(_claimable(now), pk=entry_id).update(claimed_at=now, claim_token=token) != 1:
        return False  # published, or claimed by a live sender
    return _send(OutboxEntry.objects.get(pk=entry_id), token)


def _send(entry: OutboxEntry, token: str) -> bool:
    """Send an entry whose claim `token` holds; give the claim back if the broker refuses."""
    try:
        # kwargsrepr: what Flower and `inspect` show instead of Celery's saferepr of the whole
        # execution (its spec and parameters, which may hold secrets; and the repr's CPU).
        current_app.send_task(entry.name, kwargs=entry.payload, queue=entry.queue, task_id=entry.message_id,
                              kwargsrepr=f"{{execution of run {entry.run_id}}}")
    except Exception as exc:  # the broker is away: the sweep publishes it again later
        log.error("publishing %s for run %s failed: %s", entry.message_id, entry.run_id, exc)
        OutboxEntry.objects.filter(pk=entry.pk, claim_token=token).update(
            claimed_at=None, claim_token="", publish_attempts=F("publish_attempts") + 1, last_error=str(exc)[:2000])
        return False
    now, message = timezone.now(), entry.payload["execution"]
    # The entry published and its run queued: one statement on PostgreSQL (each a round trip and
    # a commit of its own before), written out (the ORM's compilation was a tenth of a trigger's CPU).
    published, queued = statements.update_together(
        statements.Update(OutboxEntry, {"pk": entry.pk, "claim_token": token}, {"published_at": now},
                          increment=("publish_attempts",)),
        Run.objects.attempt_move(entry.run_id, message["attempt"], message["fence"], states.QUEUED, queued_at=now))
    if not published:
        # Our claim timed out while send_task hung, and a sweep took the entry over: it may send
        # a second copy, which the worker's start claim turns away.
        log.warning("outbox entry %s (%s) was sent after its claim timed out", entry.pk, entry.message_id)
    if queued:
        run_events.status_changed(entry.run_id)
    return True


def resend_current_attempt(run_id: int) -> bool:
    """Publish a queued run's current attempt again: the broker no longer holds its message (a
    Redis broker restarted without persistence, a queue deleted; workers_app's liveness rule 3
    decides that). The same (run, attempt, fence) and execution id: should the first copy
    surface after all, whichever copy claims its start first runs, the other is told to stop.

    Taken by a conditional UPDATE of the run's queued_at, which must change the row: two sweeps
    racing for the run resend it once, and the next resend waits for the new queued_at to age.
    Returns whether this call sent it (False: someone else took it, or the broker refused it,
    which leaves the entry to republish_stale)."""
    run = Run.objects.filter(pk=run_id, status=states.QUEUED).only("pk", "attempt", "fence", "queued_at").first()
    if run is None:
        return False
    now = timezone.now()
    if not Run.objects.filter(pk=run_id, status=states.QUEUED, attempt=run.attempt, fence=run.fence,
                              queued_at=run.queued_at).update(queued_at=now):
        return False
    token = secrets.token_hex(8)
    entries = OutboxEntry.objects.filter(run_id=run_id, message_id=run.execution_id, published_at__isnull=False)
    if entries.update(published_at=None, claimed_at=now, claim_token=token) != 1:
        return False
    return _send(OutboxEntry.objects.get(run_id=run_id, message_id=run.execution_id), token)


def republish_stale(older_than_seconds: float = 5.0, batch: int = 500) -> int:
    """Hand over outbox entries left behind by a crash or a broker outage.

    The batch is claimed in one conditional UPDATE under a token of this call's own: on
    PostgreSQL a concurrent sweep's UPDATE waits for the rows this one locked and re-checks its
    WHERE on their new version, so each entry goes to exactly one sweep (SQLite serialises
    writers anyway). Only the entries carrying this token are then sent."""
    now = timezone.now()
    cutoff = now - timezone.timedelta(seconds=older_than_seconds)
    claimable = OutboxEntry.objects.filter(_claimable(now), created_at__lt=cutoff)
    ids = list(claimable.order_by("pk").values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    token = secrets.token_hex(8)
    if not claimable.filter(pk__in=ids).update(claimed_at=now, claim_token=token):
        return 0
    sent = 0
    for entry in OutboxEntry.objects.filter(pk__in=ids, claim_token=token).order_by("pk"):
        if not _send(entry, token):
            # The broker refused one: it would refuse the rest too. Give their claims back now
            # rather than wait for each send to fail.
            OutboxEntry.objects.filter(pk__in=ids, claim_token=token, published_at__isnull=True).update(
                claimed_at=None, claim_token="")
            break
        sent += 1
    return sent


def _may_hold(task_id: int) -> bool:
    """Whether the task could have a held run, read without its row lock (which every trigger of
    the task would otherwise wait for, once per finished run). Safe: a run is held only under
    queue, and a change away from queue waits for the row lock of a create_run holding one, so
    when queue is not seen here, every run held under it is already committed and seen in the
    same statement's snapshot. One statement: it runs after every conclusion (B1's profile: the
    two round trips it was cost a finished event two of its seven statements)."""
    with connection.cursor() as cursor:
        cursor.execute(_may_hold_sql(), [task_id, Task.Overlap.QUEUE, task_id, states.PENDING])
        return bool(cursor.fetchone()[0])


@functools.cache
def _may_hold_sql() -> str:
    # Written out rather than compiled by the ORM per call: the compilation was most of this
    # question's cost, a tenth of the control role's CPU per run in B1.
    return (f'SELECT EXISTS (SELECT 1 FROM "{Task._meta.db_table}" WHERE "id" = %s AND "overlap_policy" = %s)'
            f' OR EXISTS (SELECT 1 FROM "{Run._meta.db_table}" WHERE "task_id" = %s AND "status" = %s'
            " AND \"hold_reason\" <> '')")


def release_stranded(batch: int = 100) -> int:
    """The sweep's step for held runs: release the oldest held run of each task that has held
    runs and nothing else active. A conclusion releases its task's next held run after its own
    commit (events._after_conclusion); if that release fails (the database went away between the
    two transactions, the control process died), nothing else would ask again until the task's
    next conclusion, which a task whose only runs are held never has. release_held decides again
    under the task's row lock, so this racing with a conclusion's own release dispatches one run.
    Returns how many runs were released."""
    busy = Run.objects.filter(task_id=OuterRef("task_id"), status__in=states.ACTIVE, hold_reason="")
    stranded = (Run.objects.filter(status=states.PENDING).exclude(hold_reason="").filter(~Exists(busy))
                .order_by("task_id").values_list("task_id", flat=True).distinct()[:batch])
    released = 0
    for task_id in list(stranded):
        if release_held(task_id) is not None:
            log.warning("released a held run of task %s that no conclusion had released", task_id)
            released += 1
    return released


def release_held(task_id: int) -> Run | None:
    """Overlap policy queue: once nothing of the task is active, dispatch the oldest held run."""
    if not _may_hold(task_id):
        return None
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task_id)
        runs = task.runs.filter(status__in=states.ACTIVE)
        if runs.filter(hold_reason="").exists():
            return None
        held = runs.filter(status=states.PENDING).exclude(hold_reason="").order_by("created_at", "pk").first()
        if held is not None:
            enqueue_current_attempt(held, task)
        return held
