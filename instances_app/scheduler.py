"""Beat's scheduler: django-celery-beat's rows, fired only while this instance holds the leader
lease. The others keep ticking (and keep their schedule in sync) and take over within
owner_ttl_seconds of the leader's death; beat then fires what is overdue, and the misfire
policy of each task decides about the fires that fell in the gap.

What differs from stock DatabaseScheduler, for scale (docs/performance.md, B3):
- the schedule is a ScheduleIndex (schedule_index.py): an edit re-reads the changed rows only,
  and an idle tick costs the same whatever the number of schedules;
- every due entry is sent in the same tick, Taskplane schedules as control.fire_schedules
  messages of several task ids each, on one producer;
- last_run_at and total_run_count are written once per tick for all the entries it fired
  (queryset updates: no date_changed, no signal, so our own writes trigger no reload).
Ticks come at least every EDIT_POLL_SECONDS, so an edit takes effect within about that.
"""

import logging
import time
from collections import defaultdict
from itertools import groupby

from django.db import close_old_connections, connection
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from instances_app.lease import Lease
from instances_app.presence import control_role_seen, mark_role
from instances_app.schedule_index import ScheduleIndex
from scheduler_project import health_server
from scheduler_project.health_server import beat_ticked
from scheduler_project.roles import NO_CONTROL

log = logging.getLogger("taskplane.instances")
FIRE_MANY_TASK = "control.fire_schedules"
# A burst goes as at least SPREAD messages (so that control's threads share it) of at most BATCH
# task ids (so that it costs few publishes: each is ~1 ms of kombu and a round trip).
BATCH = 500
SPREAD = 8
EDIT_POLL_SECONDS = 0.5
WRITE_CHUNK = 5000


class ControlWatch:
    """Beat fires schedules as messages to the control queue; only a control role makes runs of
    them. The seed's split (`scheduler-api`, `scheduler-dispatcher`, `scheduler-worker`) has no
    such process, so a dispatcher that sees none says so loudly: a WARNING in its log once a
    control role starting beside it has had one presence TTL to announce itself, repeated every
    REPEAT_SECONDS while none is alive, and `control_seen` / `warning` in its /health."""

    REPEAT_SECONDS = 60

    def __init__(self, grace_seconds: float):
        self.started = time.monotonic()
        self.grace = grace_seconds
        self.seen: bool | None = None
        self.warned_at = float("-inf")

    def check(self) -> None:
        try:
            seen = control_role_seen()
        except Exception:  # Redis away: the lease's error says so already
            return
        health_server.note(control_seen=seen, warning=None if seen else NO_CONTROL)
        now = time.monotonic()
        if seen:
            if self.seen is False and self.warned_at > float("-inf"):
                log.info("a control role is alive again: fires are turned into runs")
            self.seen = True
            return
        self.seen = False
        if now - self.started >= self.grace and now - self.warned_at >= self.REPEAT_SECONDS:
            log.warning(NO_CONTROL)
            self.warned_at = now


class LeaderScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs):
        self.lease = Lease()
        self._token = None  # the fencing token of the lease we last fired under
        self._marked = float("-inf")
        self._fired: dict[int, list] = {}  # pk -> [last_run_at, fires] not yet written
        self._spent: set[int] = set()  # one-offs fired, and expired rows: disabled at the next write
        self.index = ScheduleIndex(kwargs.get("app") or args[0])
        self.control_watch = ControlWatch(grace_seconds=self.lease.ttl_ms / 1000)
        super().__init__(*args, **kwargs)

    # setup_schedule (stock's) writes settings' beat_schedule as rows; the first tick loads.

    @property
    def schedule(self):
        """Introspection only (celery's banner, `celery inspect`): the entries by name."""
        return {entry.name: entry for entry in self.index.entries.values()}

    def tick(self, *args, **kwargs):
        beat_ticked()  # the dispatcher's /health: this loop is alive
        try:
            if time.monotonic() - self._marked >= self._renew_interval():  # the mark lives a TTL
                mark_role("dispatcher")
                self._marked = time.monotonic()
                self.control_watch.check()
            leading = self.lease.hold()
        except Exception as exc:  # Redis away: fire nothing rather than risk a blind double lead
            log.error("leader lease unavailable: %s", exc)
            leading = False
        try:
            close_old_connections()
            # A new lease (a new fencing token, even one taken back after our own stall): another
            # leader may have fired meanwhile, and its last_run_at writes set no date_changed.
            if leading and self.lease.token != self._token:
                self.index.load()
            else:
                self.index.refresh()
        except Exception as exc:  # the database away: keep the schedule we have, try again next tick
            log.error("beat schedule not refreshed: %s", exc)
        self._token = self.lease.token if leading else None
        if not leading:
            self.sync()  # what we fired before losing the lease
        wait = self._fire_due() if leading else self.max_interval
        return min(wait, self.max_interval, self._renew_interval(), EDIT_POLL_SECONDS)

    def _fire_due(self) -> float:
        now = timezone.now()
        fired, expired = self.index.pop_due(now)
        self._spent.update(entry.pk for entry in expired)
        if not fired:
            self.sync()  # a quiet tick writes what the busy ones fired
            return self.index.next_in(now.timestamp())
        batches = defaultdict(list)
        for entry in fired:
            if entry.fire_task_id is not None:
                batches[entry.queue].append(entry.fire_task_id)
            else:
                self._send_one(entry)
            record = self._fired.setdefault(entry.pk, [now, 0])
            record[0], record[1] = now, record[1] + 1
            if entry.one_off:
                self._spent.add(entry.pk)
        for queue, task_ids in batches.items():
            size = min(BATCH, -(-len(task_ids) // SPREAD))
            for start in range(0, len(task_ids), size):
                self._send_batch(queue, task_ids[start:start + size])
        return 0  # straight back: more may have come due while we sent

    def _send_batch(self, queue, task_ids: list[int]) -> None:
        # A lost batch is caught up by the sweep (firing.fire_all_due): the fire ledger, not
        # this message, is what makes a fire happen exactly once.
        try:
            # The lease's fencing token rides along: control refuses a batch from a superseded leader.
            self.send_task(FIRE_MANY_TASK, args=[task_ids], kwargs={"fence": self._token}, queue=queue,
                           producer=self.producer,
                           headers={"celery_beat_task": True}, argsrepr=f"[{len(task_ids)} task ids]")
        except Exception as exc:
            log.error("could not send %s for %d task(s): %s", FIRE_MANY_TASK, len(task_ids), exc)

    def _send_one(self, entry) -> None:
        try:
            self.send_task(entry.task, entry.args, entry.kwargs, producer=self.producer,
                           **{**entry.options, "headers": {**entry.options["headers"], "celery_beat_task": True}})
        except Exception as exc:
            log.error("could not send scheduled task %s (%s): %s", entry.name, entry.task, exc)

    def sync(self):
        """Write last_run_at and total_run_count of the entries fired since the last write:
        one UPDATE per (time, count), not one read and save per entry as stock does."""
        fired, spent, self._fired, self._spent = self._fired, self._spent, {}, set()
        try:
            rows = sorted(fired.items(), key=lambda item: (item[1][0], item[1][1]))
            for (at, count), group in groupby(rows, key=lambda item: (item[1][0], item[1][1])):
                pks = [pk for pk, _ in group]
                for start in range(0, len(pks), WRITE_CHUNK):
                    _update(pks[start:start + WRITE_CHUNK], last_run_at=at,
                            total_run_count=F("total_run_count") + count)
            if spent:
                _update(sorted(spent), enabled=False)
        except Exception as exc:  # kept for the next write; the schedule in memory is right
            log.error("beat could not record its fires: %s", exc)
            for pk, (at, count) in fired.items():
                record = self._fired.setdefault(pk, [at, 0])
                record[1] += count
            self._spent |= spent

    def _renew_interval(self) -> float:
        # Renew well inside the TTL, whatever the next schedule is.
        return self.lease.ttl_ms / 1000 / 3

    def close(self):
        self.lease.release()
        super().close()


def _update(pks: list[int], **values) -> None:
    """A queryset update of these rows; on PostgreSQL the ids go as one array parameter, not
    one placeholder each (psycopg's client-side binding of 5000 placeholders costs ~0.4 s)."""
    if connection.vendor != "postgresql":
        PeriodicTask.objects.filter(pk__in=pks).update(**values)
        return
    PeriodicTask.objects.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [pks])).update(**values)
