"""The worker registry, kept by the control role from heartbeats, and what becomes of the runs
of nodes that die or no longer run them (docs/architecture.md, "Recovery after faults").

Two rules conclude a `running` run `lost` (then retried per its task's policy), both through
tasks_app.services.events.conclude_attempt, a compare-and-set on (run, attempt, fence):

1. its node is silent: no heartbeat for worker_timeout_seconds (detect_lost_workers);
2. its node is alive but does not run it: none of the node's heartbeats has listed the run's
   execution for worker_timeout_seconds, and a heartbeat newer than the last one that listed it
   (or than the run's start) has arrived without it (reconcile_running). This catches what rule
   1 cannot: a pool child killed and its message redelivered, a `finished` report lost with a
   control process that died holding it, a node restarted under the same id.

Silence and absence are counted only from the time this control process could receive
heartbeats (listening.since()): after a broker outage, or a control restart, every node gets a
whole worker_timeout_seconds to be heard again. Both rules run in control.sweep_workers, after
the heartbeats are flushed, so a run is concluded at most worker_timeout_seconds + one sweep after
its node stopped reporting it (or after the control could listen again, whichever is later),
and the retry is dispatched by the next control.sweep: the bound of guarantee 9 is
worker_timeout_seconds + 2 sweep_interval_seconds.

A worker that finishes a run reports `finished` at once; the rule-2 grace of
worker_timeout_seconds (at least three heartbeat intervals with the defaults) is what that
report may take to be applied before the run is concluded lost instead. Heartbeats and status
reports travel on different queues, though: under a burst (10,000 runs due in one minute, B8)
the heartbeats stay current while the status queue holds minutes of `finished` reports, and
runs that succeeded would be concluded lost and run again. So rule 2 judges only while the
status queue has no backlog (status_backlog(): nothing waiting, read from the broker): a report
still queued is not silence. Rule 1 is not affected (a silent node sends no reports either).

A third rule keeps a `queued` run from waiting for ever for a message the broker lost (a Redis
broker restarted without persistence, a queue deleted by hand): the broker acknowledged the
publish, so the outbox counts it sent, and nothing else would send it again.

3. a run `queued` for longer than worker_timeout_seconds, on a queue the broker says is empty
   (or does not know), whose execution no live node lists, running or reserved, is published
   again (resend_lost_messages; tasks_app.services.dispatch.resend_current_attempt), at most
   once per worker_timeout_seconds. Like rule 2 it waits while the status queue has a backlog
   (the run's start claim may be among it). A message a node holds unstarted (prefetched behind
   a long run) also leaves its queue empty; its node lists it as reserved, so it is not sent
   again (should it be, the start claim lets only one copy run).
"""

import logging
import re
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import dispatch
from tasks_app.services.events import conclude_attempt
from workers_app.models import Worker
from workers_app.services import listening
from workers_app.services.draining import reconcile
from workers_app.services.queues import queue_depths

log = logging.getLogger(__name__)
FIELDS = ("node", "host", "pid", "version", "task_types", "tags", "queues", "consuming", "concurrency", "running",
          "reserved", "executions_started", "executions_finished")


def grace() -> timezone.timedelta:
    """How long a node may be silent, or leave a running run unlisted, before it counts as lost."""
    return timezone.timedelta(seconds=settings.TP.dispatcher.worker_timeout_seconds)


class InvalidHeartbeat(ValueError):
    pass


WORKER_ID_MAX = Worker._meta.get_field("worker_id").max_length
# Worker ids are configured names (`[worker] worker_id`) or host names: the API looks them up by
# this pattern too (workers_app/api/views.py).
WORKER_ID_RE = re.compile(r"^[A-Za-z0-9_.@:-]+$")
_TEXT_FIELDS = {name: Worker._meta.get_field(name).max_length for name in ("node", "host", "version")}
_LIST_FIELDS = ("running", "reserved", "queues", "consuming", "task_types", "tags")
_INT_FIELDS = {"pid": 2**31 - 1, "concurrency": 2**31 - 1, "executions_started": 2**63 - 1,
               "executions_finished": 2**63 - 1}
MAX_LIST_ITEMS = 10_000


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_heartbeat(beat) -> tuple[dict, object]:
    """The Worker fields a heartbeat sets, and its time; InvalidHeartbeat names what is wrong.

    A heartbeat comes over the broker, where anyone with its credentials can write: every field
    is checked against the column it lands in, since one value the database refuses (a worker id
    longer than the column) would fail the sweep's bulk write, and with it every other node's
    heartbeat, for as long as the bad snapshot lives (issue 15 item 4)."""
    if not isinstance(beat, dict):
        raise InvalidHeartbeat(f"a heartbeat must be an object, not {type(beat).__name__}")
    worker_id = beat.get("worker_id")
    if not isinstance(worker_id, str) or not worker_id:
        raise InvalidHeartbeat("heartbeat without a worker_id")
    if len(worker_id) > WORKER_ID_MAX:
        raise InvalidHeartbeat(f"heartbeat with a worker_id of {len(worker_id)} characters (at most {WORKER_ID_MAX}): "
                               f"{worker_id[:40]!r}...")
    if not WORKER_ID_RE.match(worker_id):
        raise InvalidHeartbeat(f"heartbeat with a worker_id of characters other than letters, digits and _ . @ : -: "
                               f"{worker_id[:80]!r}")
    for name, limit in _TEXT_FIELDS.items():
        if name in beat and not (isinstance(beat[name], str) and len(beat[name]) <= limit):
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: {name} must be a string of at most {limit} characters")
    for name, limit in _INT_FIELDS.items():
        if name in beat and beat[name] is not None and not (_is_int(beat[name]) and 0 <= beat[name] <= limit):
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: {name} must be a whole number from 0 to {limit}")
    for name in _LIST_FIELDS:
        if name in beat and not isinstance(beat[name], list):
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: {name} must be a list")
        if name in beat and (len(beat[name]) > MAX_LIST_ITEMS or not all(
                isinstance(item, str) and len(item) <= 255 for item in beat[name])):
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: {name} must be a list of names")
    status = beat.get("status", Worker.Status.ONLINE)
    if status not in Worker.Status.values:
        raise InvalidHeartbeat(f"heartbeat of {worker_id}: status must be one of {', '.join(Worker.Status.values)}")
    at = timezone.now()
    if beat.get("at"):
        try:
            at = datetime.fromisoformat(beat["at"])
        except (TypeError, ValueError):
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: at must be an ISO 8601 time") from None
        if at.tzinfo is None:
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: at must carry its time zone")
        if at > timezone.now() + grace():
            # A heartbeat from the future would make every later real one look older, and be ignored.
            raise InvalidHeartbeat(f"heartbeat of {worker_id}: at is in the future ({beat['at']})")
    values = {k: beat[k] for k in FIELDS if k in beat and beat[k] is not None}
    values["concurrency"] = max(1, values.get("concurrency") or 1)
    values["load"] = len(values.get("running") or []) / values["concurrency"]
    values["last_heartbeat"] = at
    return values, at


# Not `status`: a drain or resume written between this sweep's read and its bulk write would be
# overwritten with the status read before it (the drain undone, silently). Status changes a
# heartbeat causes are compare-and-set updates of their own, below.
UPDATED = [*FIELDS, "load", "last_heartbeat", "progress_at", "stalled_since", "last_listed"]


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _listed(previous: dict, running: list[str], at) -> dict:
    """execution id -> last heartbeat listing it. An execution no longer listed is remembered
    for one grace (past it, reconciliation no longer needs its time: a run still running then
    is concluded whatever it was), so the map stays as small as a grace's worth of executions."""
    keep_after = at - grace() - timezone.timedelta(seconds=2 * settings.TP.dispatcher.sweep_interval_seconds)
    listed = {e: t for e, t in (previous or {}).items() if (_when(t) or keep_after) > keep_after}
    listed.update((execution, at.isoformat()) for execution in running)
    return listed


def apply_heartbeats(beats: list[dict]) -> list[Worker]:
    """Write heartbeats to the registry in bulk: one read, one bulk insert, one bulk update."""
    latest: dict[str, tuple[dict, object, dict]] = {}
    for beat in beats:
        try:
            values, at = parse_heartbeat(beat)
        except InvalidHeartbeat as exc:
            log.warning("refused a heartbeat: %s", exc)
            continue
        if beat["worker_id"] not in latest or at > latest[beat["worker_id"]][1]:
            latest[beat["worker_id"]] = (values, at, beat)
    existing = {w.worker_id: w for w in Worker.objects.filter(worker_id__in=list(latest))}
    created, updated, moves = [], [], []
    for worker_id, (values, at, beat) in latest.items():
        reported = beat.get("status", Worker.Status.ONLINE)
        worker = existing.get(worker_id)
        if worker is None:
            created.append(Worker(worker_id=worker_id, **values, status=reported, progress_at=at,
                                  last_listed=_listed({}, values.get("running") or [], at)))
            continue
        if at <= worker.last_heartbeat:
            continue  # an older heartbeat (delivered late) never overwrites a newer one
        worker.last_listed = _listed(worker.last_listed, values.get("running") or [], at)
        if values.get("executions_started", 0) != worker.executions_started:
            worker.progress_at, worker.stalled_since = at, None  # it took work (or restarted)
        if reported == Worker.Status.OFFLINE and worker.status != Worker.Status.OFFLINE:
            moves.append((worker, worker.status, Worker.Status.OFFLINE))
        elif reported != Worker.Status.OFFLINE and worker.status in (Worker.Status.LOST, Worker.Status.OFFLINE):
            moves.append((worker, worker.status, Worker.Status.ONLINE))  # back; draining is kept until resumed
        for field, value in values.items():
            setattr(worker, field, value)
        updated.append(worker)
    Worker.objects.bulk_create(created, ignore_conflicts=True)
    # The status is not among the bulk-written fields: a drain, resume or lost verdict written
    # since the read above would be overwritten. It moves by compare-and-set, rarely.
    Worker.objects.bulk_update(updated, UPDATED)
    for worker, was, becomes in moves:
        if Worker.objects.filter(pk=worker.pk, status=was).update(status=becomes):
            worker.status = becomes
        else:
            worker.status = Worker.objects.filter(pk=worker.pk).values_list("status", flat=True).first()
    for worker in updated:
        if worker.status != Worker.Status.OFFLINE:
            reconcile(worker, worker.consuming, [*worker.running, *worker.reserved], worker.last_heartbeat)
    return created + updated


def detect_lost_workers(now=None) -> list[str]:
    """Rule 1: workers silent for worker_timeout_seconds become lost, and so do their running runs.

    Silence counts from the later of the last heartbeat and the time this process could receive
    heartbeats again (listening.since()): a broker outage, or this control process starting,
    makes nobody lost. Idempotent and safe with several control processes: the worker's status
    flips with a compare-and-set that only one of them wins, and each run's attempt is concluded
    with its own compare-and-set (conclude_attempt), so a run is retried once.
    """
    now = now or timezone.now()
    cutoff = now - grace()
    since = listening.since(now)
    lost = []
    if since is None or since <= cutoff:
        for worker_id in Worker.objects.filter(
            status__in=[Worker.Status.ONLINE, Worker.Status.DRAINING, Worker.Status.OFFLINE], last_heartbeat__lt=cutoff
        ).values_list("worker_id", flat=True):
            if Worker.objects.filter(worker_id=worker_id, last_heartbeat__lt=cutoff).exclude(
                status=Worker.Status.LOST
            ).update(status=Worker.Status.LOST):
                lost.append(worker_id)
                log.warning("worker %s is lost: no heartbeat since before %s", worker_id, cutoff.isoformat())
    # Runs are swept for every lost worker each time, not only the newly lost ones: a
    # control process that died between the two steps leaves no run behind.
    lost_ids = Worker.objects.filter(status=Worker.Status.LOST).values_list("worker_id", flat=True)
    for run in Run.objects.filter(status=states.RUNNING, worker__in=list(lost_ids)).only("pk", "attempt", "fence", "worker"):
        with transaction.atomic():
            conclude_attempt(
                run.pk, run.attempt, run.fence, states.LOST,
                {"error": f"worker {run.worker} stopped sending heartbeats"}, now, worker=run.worker,
            )
    return lost


def status_backlog() -> int | str:
    """Status reports waiting in the broker (0: none); a text when the broker cannot say, which
    counts as a backlog: a report may be waiting where we cannot see it."""
    queue = settings.TP.message_queue.status_queue
    try:
        depth = queue_depths([queue]).get(queue)
    except Exception as exc:  # noqa: BLE001  broker away: no report can be applied either
        return f"unknown ({exc})"
    # A Redis broker has no queue until its first message, and an empty list is no key: 0.
    return depth if depth is not None else 0


def reconcile_running(now=None) -> list[int]:
    """Rule 2: a running run whose live node has not listed its execution in any heartbeat for
    worker_timeout_seconds is concluded lost. Returns the ids of the runs concluded.

    The reference time is the last heartbeat that listed the execution, else the run's start,
    moved up to listening.since() (the heartbeats of a time this process could not receive say
    nothing). The run is judged only once a heartbeat newer than that reference has arrived
    without it: a node that went quiet is rule 1's. Heartbeat and start times come from the
    node's clock, `now` from this process's; detect_lost_workers compares them the same way.
    """
    now = now or timezone.now()
    live = {w.worker_id: w for w in Worker.objects.filter(status__in=Worker.LIVE_STATUSES).only(
        "worker_id", "running", "last_listed", "last_heartbeat")}
    if not live:
        return []
    since = listening.since(now)
    concluded = []
    backlog = None  # asked once, and only when a run is about to be judged
    running = Run.objects.filter(status=states.RUNNING, worker__in=list(live)).only(
        "pk", "attempt", "fence", "worker", "started_at")
    for run in running:
        worker = live[run.worker]
        execution = run.execution_id
        if execution in (worker.running or []):
            continue
        last_listed = _when((worker.last_listed or {}).get(execution))
        reference = last_listed or run.started_at or now
        if since is not None and since > reference:
            reference = since
        if worker.last_heartbeat <= reference or now - reference < grace():
            continue
        if backlog is None:
            backlog = status_backlog()
        if backlog:
            log.info("rule 2 waits: %s status report(s) are still queued (the run's own may be among them)", backlog)
            return concluded
        said = f"last listed at {last_listed.isoformat()}" if last_listed else "never listed since its start"
        with transaction.atomic():
            target = conclude_attempt(
                run.pk, run.attempt, run.fence, states.LOST,
                {"error": f"worker {run.worker} is alive but no longer runs it ({said})"}, now, worker=run.worker,
            )
        if target:
            concluded.append(run.pk)
            log.warning("run %s attempt %s: worker %s no longer reports it (%s): %s", run.pk, run.attempt,
                        run.worker, said, target)
    return concluded


RESEND_BATCH = 500


def resend_lost_messages(now=None) -> list[int]:
    """Rule 3 (the module's docstring): publish again the queued runs whose messages the broker
    no longer holds. Returns the ids of the runs sent again."""
    now = now or timezone.now()
    waiting = list(Run.objects.filter(status=states.QUEUED, queued_at__lt=now - grace())
                   .order_by("queued_at").only("pk", "attempt", "fence", "queue")[:RESEND_BATCH])
    if not waiting:
        return []
    # Held by a live node: running, or received and not started (a message prefetched behind a
    # long run is no longer in its queue, yet not lost).
    listed = set()
    for running, reserved in Worker.objects.filter(status__in=Worker.LIVE_STATUSES).values_list("running", "reserved"):
        listed.update(running or [], reserved or [])
    waiting = [run for run in waiting if run.execution_id not in listed]
    if not waiting:
        return []
    depths = queue_depths({run.queue for run in waiting})  # the broker away: raises, the step logs it
    lost = [run for run in waiting if not depths.get(run.queue)]  # 0, or a queue the broker does not know
    if not lost:
        return []
    backlog = status_backlog()
    if backlog:
        log.info("rule 3 waits: %s status report(s) are still queued (a start claim may be among them)", backlog)
        return []
    resent = [run.pk for run in lost if dispatch.resend_current_attempt(run.pk)]
    if resent:
        log.warning("published again %s queued run(s) whose messages the broker no longer holds: %s", len(resent),
                    ", ".join(map(str, resent[:20])) + (" ..." if len(resent) > 20 else ""))
    return resent
