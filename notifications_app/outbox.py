"""Notifications written in the transaction that concludes a run (the engine's run_concluded
signal, tasks_app.services.run_events), one per state change.

A task's state, for the rules that cover it, is its run of failures (TaskHealth): the first
failure starts a streak, each further one lengthens it, the first success ends it. A rule's
failure events fire once per streak, when the streak reaches the rule's after_consecutive
(a task failing every minute for a day is one message, not 1,440); `recovered` fires once when
a streak that reached that length ends; `succeeded` and `cancelled` fire per run (opt-in);
`min_interval_seconds` caps any rule at one message per task per interval. The streak is kept
under the row lock of the task's TaskHealth, so two runs of a task concluding at once count
one after the other. Each notification's dedupe_key names the change, and is unique.

Cost: the receiver consults a per-process copy of the enabled rules (refreshed every
RULES_TTL seconds); a run of a task no rule covers costs no query at all. Everything it writes
is in a savepoint: whatever goes wrong here rolls back to it and is logged, and the run's
conclusion commits regardless.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Right
from django.dispatch import receiver
from django.utils import timezone

from notifications_app import delivery, events, messages
from notifications_app.models import Notification, Rule, TaskHealth
from tasks_app import states
from tasks_app.models import Run, Task
from tasks_app.services.run_events import run_concluded

log = logging.getLogger(__name__)
RULES_TTL = 1.0  # seconds: a rule created or changed applies to conclusions from then on
OUTPUT_CHARS = 16000  # of stdout/stderr read for the last 20 lines


class _Rules:
    """The enabled rules (with their channels), as of at most RULES_TTL seconds ago."""

    def __init__(self):
        self.lock = threading.Lock()
        self.loaded_at = -1e9
        self.rules: list[Rule] = []

    def current(self) -> list[Rule]:
        if time.monotonic() - self.loaded_at > RULES_TTL:
            with self.lock:
                if time.monotonic() - self.loaded_at > RULES_TTL:
                    self.rules = list(Rule.objects.filter(enabled=True, channel__enabled=True).select_related("channel"))
                    self.loaded_at = time.monotonic()
        return self.rules

    def for_task(self, task_id: int) -> list[Rule]:
        return [r for r in self.current() if r.task_id in (None, task_id)]

    def forget(self) -> None:
        self.loaded_at = -1e9


rules_cache = _Rules()


@receiver(run_concluded, dispatch_uid="notifications-run-concluded")
def _run_concluded(sender, run_id: int, task_id: int, status: str, previous_status: str, attempt: int, **kwargs):
    if not settings.TP.notifications.enabled or status not in states.FINAL or status == states.SKIPPED:
        return
    candidates = rules_cache.for_task(task_id)
    if not candidates:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here never fails the conclusion
            written = run_concluded_in_transaction(run_id, task_id, status, previous_status, candidates)
    except Exception:
        log.exception("run %s: notifications not written", run_id)
        return
    if written:
        transaction.on_commit(lambda: delivery.kick(written))


def _nothing_owed(task_id: int, status: str, candidates: list[Rule]) -> bool:
    """The common case, answered with at most one indexed read: a success that no rule wants told
    per run, of a task with no failure streak (so no recovery to tell), or a cancel nobody asked for."""
    wanted = {e for r in candidates for e in r.events}
    if status == states.SUCCEEDED and events.SUCCEEDED not in wanted:
        return not TaskHealth.objects.filter(pk=task_id, consecutive_failures__gt=0).exists()
    return status == states.CANCELLED and events.CANCELLED not in wanted


def run_concluded_in_transaction(run_id, task_id, status, previous_status, candidates) -> list[int]:
    if _nothing_owed(task_id, status, candidates):
        return []
    task = Task.objects.filter(pk=task_id).only("id", "name", "type", "tags", "enabled").first()
    if task is None:
        return []
    rules = [r for r in candidates if r.covers(task_id, task.tags)]
    if not rules:
        return []
    now = timezone.now()
    failure = events.failure_events(status)
    health = TaskHealth.objects.select_for_update().filter(pk=task_id).first()
    if failure and health is None:
        TaskHealth.objects.bulk_create([TaskHealth(task_id=task_id)], ignore_conflicts=True)
        health = TaskHealth.objects.select_for_update().get(pk=task_id)
    plans: list[tuple[Rule, str, str]] = []  # (rule, event, dedupe key)
    failures = 0
    if failure:
        if health.consecutive_failures == 0 or health.streak_started_run is None:
            health.streak_started_run, health.consecutive_failures, health.paused_at_failures = run_id, 0, 0
        health.consecutive_failures += 1
        failures = health.consecutive_failures
        for rule in rules:
            matching = failure & set(rule.events)
            if matching and failures >= rule.after_consecutive:
                plans.append((rule, events.label(matching), f"r{rule.pk}:t{task_id}:s{health.streak_started_run}:failing"))
        pausing = [r for r in rules if r.pause_after and failures - health.paused_at_failures >= r.pause_after]
        if pausing and task.enabled:
            rule_id = pausing[0].pk
            transaction.on_commit(lambda: pause_task(task_id, rule_id, run_id))
    elif status == states.SUCCEEDED:
        ended = health.consecutive_failures if health is not None else 0
        if ended:
            for rule in rules:
                if events.RECOVERED in rule.events and ended >= rule.after_consecutive:
                    plans.append((rule, events.RECOVERED, f"r{rule.pk}:t{task_id}:s{health.streak_started_run}:recovered"))
            health.consecutive_failures, health.streak_started_run, health.paused_at_failures = 0, None, 0
        plans += [(r, events.SUCCEEDED, f"r{r.pk}:run{run_id}:succeeded") for r in rules if events.SUCCEEDED in r.events]
    elif status == states.CANCELLED:
        plans += [(r, events.CANCELLED, f"r{r.pk}:run{run_id}:cancelled") for r in rules if events.CANCELLED in r.events]
    if health is not None:
        TaskHealth.objects.filter(pk=task_id).update(
            consecutive_failures=health.consecutive_failures, streak_started_run=health.streak_started_run,
            paused_at_failures=health.paused_at_failures, last_status=status, updated_at=now,
        )
    if not plans:
        return []
    run = (Run.objects.filter(pk=run_id).defer("stdout", "stderr", "params", "response_headers")
           .annotate(stdout_tail=Right("stdout", OUTPUT_CHARS), stderr_tail=Right("stderr", OUTPUT_CHARS)).first())
    run.stdout, run.stderr = run.stdout_tail, run.stderr_tail
    run_part, task_part = messages.run_part(run, previous_status), messages.task_part(task)
    written = []
    for rule, event, key in plans:
        payload = messages.body(event, task_part, run_part, failures=failures, rule_id=rule.pk, channel=rule.channel,
                                occurred_at=run.finished_at or now)
        notification = write(rule, event, key, payload, task_id=task_id, run_id=run_id, now=now)
        if notification is not None:
            written.append(notification.pk)
    return written


def throttled(rule: Rule, task_id: int, now) -> bool:
    """min_interval_seconds: this rule told of this task less than that long ago."""
    if not rule.min_interval_seconds:
        return False
    since = now - timezone.timedelta(seconds=rule.min_interval_seconds)
    return Notification.objects.filter(rule_id=rule.pk, task_id=task_id, created_at__gt=since).exists()


def write(rule: Rule | None, event: str, key: str, payload: dict, *, channel=None, task_id=None, run_id=None,
          now=None, throttle: bool = True) -> Notification | None:
    """One notification, unless its change was told already (its dedupe key exists) or the rule's
    minimum interval holds it back. Within the caller's transaction."""
    now = now or timezone.now()
    if throttle and rule is not None and task_id is not None and throttled(rule, task_id, now):
        log.info("rule %s: %s of task %s held back by min_interval_seconds", rule.pk, event, task_id)
        return None
    try:
        with transaction.atomic():  # a savepoint: a taken key loses only this insert
            return Notification.objects.create(
                channel_id=channel.pk if channel is not None else rule.channel_id, rule=rule, task_id=task_id,
                run_id=run_id, event=event, dedupe_key=key[:200], payload=payload, created_at=now, next_attempt_at=now,
            )
    except IntegrityError:
        return None  # told already: one notification per change


def pause_task(task_id: int, rule_id: int, run_id: int) -> None:
    """Auto-pause (a rule's pause_after): pause the task and tell the rule's channel, and every
    rule listing `paused`, in one transaction. After the conclusion's commit; should this process
    die first, the task's next failure pauses it (the condition is "at least N")."""
    from tasks_app.services import definitions

    try:
        with transaction.atomic():
            task = Task.objects.select_for_update().filter(pk=task_id).first()
            health = TaskHealth.objects.select_for_update().filter(pk=task_id).first()
            rule = Rule.objects.select_related("channel").filter(pk=rule_id).first()
            if task is None or health is None or rule is None or not task.enabled:
                return
            definitions.set_enabled(task, False)
            failures = health.consecutive_failures
            TaskHealth.objects.filter(pk=task_id).update(paused_at_failures=failures)
            run = Run.objects.filter(pk=run_id).first()
            sla = {"kind": "paused", "threshold": rule.pause_after,
                   "description": f"paused after {failures} consecutive failures (rule {rule.pk}: pause_after "
                                  f"{rule.pause_after}); resume it when fixed"}
            written = []
            listeners = [rule] + [r for r in rules_cache.for_task(task_id)
                                  if r.pk != rule.pk and events.PAUSED in r.events and r.covers(task_id, task.tags)]
            for target in listeners:
                payload = messages.body(events.PAUSED, messages.task_part(task),
                                        messages.run_part(run) if run else None, failures=failures, sla=sla,
                                        rule_id=target.pk, channel=target.channel, occurred_at=timezone.now())
                key = f"r{target.pk}:t{task_id}:s{health.streak_started_run}:paused{failures}"
                if (n := write(target, events.PAUSED, key, payload, task_id=task_id, run_id=run_id,
                               throttle=False)) is not None:
                    written.append(n.pk)
            if written:
                transaction.on_commit(lambda: delivery.kick(written))
        log.warning("task %s paused after %s consecutive failures (rule %s)", task_id, failures, rule_id)
    except Exception:
        log.exception("task %s: auto-pause failed", task_id)
