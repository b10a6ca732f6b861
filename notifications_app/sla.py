"""Run-level SLAs, checked by the control role's sweep (control.sweep_notifications).

For every enabled rule naming an SLA event, over the enabled tasks it covers:
  late          the latest fire time F with F + late_after_seconds <= now has no succeeded run
                (the run of that fire: trigger schedule, scheduled_for F). Fires from before the
                task's definition last changed (a resume, a new schedule) or before the rule
                existed do not count.
  stale         the task's last success finished more than stale_after_seconds ago (no success
                at all: counted from when the task, or the rule, was created).
  long_running  a run of the task has been running for more than max_duration_seconds
                (reported while it still runs).
Each (rule, task, kind) is an Alert row: raised when the condition starts to hold, cleared
when it stops. Raising is a conditional UPDATE (active false -> true) or an INSERT racing on
the unique constraint, in one transaction with the notification, so that two control
processes sweeping at once notify once; a breach that lasts is one message (flap control).

Cost per sweep: a few queries per SLA rule (the tasks it covers, their successes and long runs,
batched), and schedule arithmetic per covered task: O(tasks with SLAs), nothing for the rest.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from notifications_app import delivery, events, messages
from notifications_app.models import Alert, Rule
from notifications_app.outbox import write
from tasks_app import states
from tasks_app.models import Run, Task
from tasks_app.schedules import ScheduleError, latest_fire_time

log = logging.getLogger(__name__)


def sla_rules() -> list[Rule]:
    rules = Rule.objects.filter(enabled=True, channel__enabled=True).select_related("channel")
    return [r for r in rules if set(r.events) & set(events.SLA_EVENTS)]


def covered_tasks(rule: Rule) -> list[Task]:
    tasks = Task.objects.filter(enabled=True).only("id", "name", "type", "tags", "schedule", "created_at",
                                                     "updated_at", "enabled")
    if rule.task_id is not None:
        tasks = tasks.filter(pk=rule.task_id)
    return [t for t in tasks if rule.covers(t.pk, t.tags)]


def _late(rule: Rule, tasks: list[Task], now) -> dict[int, dict]:
    grace = timezone.timedelta(seconds=rule.late_after_seconds)
    fires = {}
    for task in tasks:
        try:
            fire = latest_fire_time(task.parsed_schedule, now - grace)
        except ScheduleError:
            continue
        if fire is not None and fire >= max(task.updated_at, task.created_at, rule.created_at):
            fires[task.pk] = fire
    if not fires:
        return {}
    succeeded = set(Run.objects.filter(
        task_id__in=list(fires), trigger=Run.Trigger.SCHEDULE, status=states.SUCCEEDED,
        scheduled_for__gte=min(fires.values()), scheduled_for__lte=max(fires.values()),
    ).values_list("task_id", "scheduled_for"))
    found = {}
    for task_id, fire in fires.items():
        if (task_id, fire) not in succeeded:
            found[task_id] = {
                "kind": events.LATE, "threshold_seconds": rule.late_after_seconds, "scheduled_for": fire.isoformat(),
                "description": f"the fire of {fire.isoformat()} has no successful run "
                               f"{rule.late_after_seconds} s after it",
            }
    return found


def _stale(rule: Rule, tasks: list[Task], now) -> dict[int, dict]:
    window = timezone.timedelta(seconds=rule.stale_after_seconds)
    last = dict(Run.objects.filter(task_id__in=[t.pk for t in tasks], status=states.SUCCEEDED)
                .values("task_id").annotate(at=Max("finished_at")).values_list("task_id", "at"))
    found = {}
    for task in tasks:
        since = last.get(task.pk) or max(task.created_at, rule.created_at)
        if since < now - window:
            found[task.pk] = {
                "kind": events.STALE, "threshold_seconds": rule.stale_after_seconds,
                "last_success_at": last[task.pk].isoformat() if last.get(task.pk) else None,
                "description": (f"no successful run since {since.isoformat()}" if last.get(task.pk)
                                else "no successful run yet") + f" (freshness window {rule.stale_after_seconds} s)",
            }
    return found


def _long_running(rule: Rule, tasks: list[Task], now) -> dict[int, dict]:
    cutoff = now - timezone.timedelta(seconds=rule.max_duration_seconds)
    oldest = (Run.objects.filter(task_id__in=[t.pk for t in tasks], status=states.RUNNING, started_at__lt=cutoff)
              .values("task_id").annotate(started=Min("started_at")))
    found = {}
    for row in oldest:
        run = Run.objects.filter(task_id=row["task_id"], status=states.RUNNING, started_at=row["started"]).first()
        if run is None:
            continue
        running = int((now - run.started_at).total_seconds())
        found[row["task_id"]] = {
            "kind": events.LONG_RUNNING, "threshold_seconds": rule.max_duration_seconds, "run_id": run.pk,
            "started_at": run.started_at.isoformat(), "running_seconds": running,
            "description": f"run {run.pk} has been running for {running} s (limit {rule.max_duration_seconds} s)",
        }
    return found


CHECKS = {events.LATE: _late, events.STALE: _stale, events.LONG_RUNNING: _long_running}


def check_all(now=None) -> dict:
    if not settings.TP.notifications.enabled:
        return {}
    now = now or timezone.now()
    counts = defaultdict(int)
    for rule in sla_rules():
        tasks = covered_tasks(rule)
        by_id = {t.pk: t for t in tasks}
        for kind in set(rule.events) & set(events.SLA_EVENTS):
            try:
                breaches = CHECKS[kind](rule, tasks, now) if tasks else {}
                raised, cleared = reconcile(rule, kind, breaches, by_id, now)
            except Exception:  # one broken rule must not stop the others
                log.exception("rule %s: %s check failed", rule.pk, kind)
                continue
            counts[f"{kind}_raised"] += raised
            counts[f"{kind}_cleared"] += cleared
    return dict(counts)


def reconcile(rule: Rule, kind: str, breaches: dict[int, dict], tasks: dict[int, Task], now) -> tuple[int, int]:
    """Raise the alerts of the tasks in breach that are not raised yet (notifying), clear those
    no longer in breach."""
    active = set(Alert.objects.filter(rule=rule, kind=kind, active=True).values_list("task_id", flat=True))
    cleared = 0
    for task_id in active - set(breaches):
        cleared += Alert.objects.filter(rule=rule, kind=kind, task_id=task_id, active=True).update(
            active=False, cleared_at=now)
    raised = 0
    for task_id in set(breaches) - active:
        raised += raise_alert(rule, kind, tasks[task_id], breaches[task_id], now)
    return raised, cleared


def raise_alert(rule: Rule, kind: str, task: Task, detail: dict, now) -> int:
    written = []
    with transaction.atomic():
        moved = Alert.objects.filter(rule=rule, task_id=task.pk, kind=kind, active=False).update(
            active=True, since=now, detail=detail, cleared_at=None)
        if not moved:
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(rule=rule, task_id=task.pk, kind=kind, active=True, since=now,
                                                 detail=detail)
            except IntegrityError:
                return 0  # another process raised it (or it is active): told once
        else:
            alert = Alert.objects.get(rule=rule, task_id=task.pk, kind=kind)
        activation = alert.activations + 1
        Alert.objects.filter(pk=alert.pk).update(activations=activation)
        run_id = detail.get("run_id")
        run = Run.objects.filter(pk=run_id).first() if run_id else None
        if run is None and detail.get("scheduled_for"):
            run = Run.objects.filter(task_id=task.pk, trigger=Run.Trigger.SCHEDULE,
                                     scheduled_for=detail["scheduled_for"]).first()
        payload = messages.body(kind, messages.task_part(task), messages.run_part(run) if run else None, sla=detail,
                                rule_id=rule.pk, channel=rule.channel, occurred_at=now)
        notification = write(rule, kind, f"r{rule.pk}:t{task.pk}:{kind}:{activation}", payload, task_id=task.pk,
                             run_id=run.pk if run else None, now=now)
        if notification is not None:
            written.append(notification.pk)
            transaction.on_commit(lambda: delivery.kick(written))
    log.warning("task %s (%s): %s (rule %s)", task.name, kind, detail.get("description"), rule.pk)
    return 1


def active_alerts(limit: int = 500) -> list[tuple[str, str]]:
    """(task name, kind) of every active alert, for the metrics (bounded)."""
    rows = (Alert.objects.filter(active=True).values_list("task_id", "kind").distinct()[:limit])
    names = dict(Task.objects.filter(pk__in={t for t, _ in rows}).values_list("pk", "name"))
    return sorted({(names[t], k) for t, k in rows if t in names})
