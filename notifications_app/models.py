"""Channels, rules, the notification outbox and its delivery attempts, and the per-task state
that keeps notifications to one per state change (README "Notifications").

Every row the engine's transaction writes (Notification, TaskHealth, Alert when a sweep writes
it) references runs, tasks, rules and channels without a database foreign key
(db_constraint=False): a rule or channel deleted in a concurrent request, or runs deleted by
`cleanup`, must never make a run's conclusion fail at its commit. A notification whose channel
is gone is given up at delivery, saying so.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone

from notifications_app import events, messages
from notifications_app.targets import TargetRefused, check_url

MAX_RECIPIENTS = 50


class Channel(models.Model):
    class Type(models.TextChoices):
        WEBHOOK = "webhook"
        EMAIL = "email"

    class Format(models.TextChoices):
        JSON = "json"    # the documented body (README "Notifications")
        SLACK = "slack"  # a Slack incoming webhook's {"text": ...}
        TEAMS = "teams"  # a Microsoft Teams workflow webhook's Adaptive Card message

    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=10, choices=Type.choices)
    url = models.CharField(max_length=2000, blank=True, help_text="webhook: where to POST")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON,
                              help_text="webhook body: json (documented), slack or teams")
    to = models.JSONField(default=list, blank=True, help_text="e-mail: the recipients")
    secret = models.CharField(max_length=200, blank=True,
                              help_text="webhook: HMAC-SHA256 key of the X-Taskplane-Signature header; never shown again")
    template = models.TextField(blank=True, help_text="the message text, with $task, $event, $status, $run_id, ...")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=models.Q(type__in=["webhook", "email"]), name="channel_type_valid")]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.type == self.Type.WEBHOOK:
            try:
                check_url(self.url)
            except TargetRefused as exc:
                errors["url"] = str(exc)
            if self.to:
                errors["to"] = "a webhook channel has a url, not recipients"
        elif self.type == self.Type.EMAIL:
            if self.url:
                errors["url"] = "an e-mail channel has recipients (to), not a url"
            if not isinstance(self.to, list) or not self.to:
                errors["to"] = "an e-mail channel needs a list of recipients"
            elif len(self.to) > MAX_RECIPIENTS:
                errors["to"] = f"at most {MAX_RECIPIENTS} recipients"
            else:
                for address in self.to:
                    try:
                        validate_email(address if isinstance(address, str) else "")
                    except ValidationError:
                        errors["to"] = f"{address!r} is not an e-mail address"
                        break
            if self.secret:
                errors["secret"] = "only webhooks are signed"
        else:
            errors["type"] = "must be webhook or email"
        if self.format not in self.Format.values:
            errors["format"] = f"must be one of {', '.join(self.Format.values)}"
        if problem := messages.template_problem(self.template):
            errors["template"] = problem
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)


class Rule(models.Model):
    """Who is told what: a channel, the tasks it covers (one task, tasks carrying all of some
    tags, or every task), the events, and the thresholds of the SLA events."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="rules")
    task = models.ForeignKey("tasks_app.Task", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notification_rules", help_text="empty: every task (with the tags)")
    tags = models.JSONField(default=list, blank=True, help_text="only tasks carrying every one of these tags")
    events = models.JSONField(help_text=", ".join(events.RULE_EVENTS))
    after_consecutive = models.PositiveIntegerField(
        default=1, help_text="failure events: only once the task has failed this many runs in a row")
    min_interval_seconds = models.PositiveIntegerField(
        default=0, help_text="at most one message per task this often (0: one per state change)")
    late_after_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="late: a scheduled fire without a successful run this long after it")
    stale_after_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="stale: no successful run for this long")
    max_duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="long_running: a run still running after this long")
    pause_after = models.PositiveIntegerField(
        null=True, blank=True, help_text="pause the task after this many consecutive failures (opt-in)")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"rule {self.pk}: {', '.join(self.events or [])} -> {self.channel_id}"

    def clean(self):
        errors = {}
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = f"a non-empty list of: {', '.join(events.RULE_EVENTS)}"
        else:
            unknown = [e for e in self.events if e not in events.RULE_EVENTS]
            if unknown:
                errors["events"] = (f"unknown event{'s' if len(unknown) > 1 else ''} "
                                    f"{', '.join(repr(e) for e in unknown)}; known: {', '.join(events.RULE_EVENTS)}")
            else:
                needs = {events.LATE: "late_after_seconds", events.STALE: "stale_after_seconds",
                         events.LONG_RUNNING: "max_duration_seconds"}
                for event, field in needs.items():
                    if event in self.events and not getattr(self, field):
                        errors[field] = f"the {event} event needs {field}"
        if not (isinstance(self.tags, list) and all(isinstance(t, str) and t for t in self.tags)):
            errors["tags"] = "must be a list of non-empty strings"
        if self.after_consecutive < 1:
            errors["after_consecutive"] = "must be at least 1"
        for field in ("late_after_seconds", "stale_after_seconds", "max_duration_seconds", "pause_after"):
            if getattr(self, field) is not None and getattr(self, field) < 1:
                errors[field] = "must be at least 1"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    def covers(self, task_id: int, tags) -> bool:
        if self.task_id is not None and self.task_id != task_id:
            return False
        return set(self.tags or ()) <= set(tags or ())


class Notification(models.Model):
    """One message to one channel: the outbox row, written in the transaction of the state
    change it tells of, then delivered by the control role (notifications_app.delivery).

    `dedupe_key` is unique: it names the state change (a rule, a task and a failure streak; a
    rule and a run; a rule, a task and an SLA breach), so that one change is one notification
    however many processes notice it."""

    class Status(models.TextChoices):
        PENDING = "pending"      # waiting for its (next) attempt at next_attempt_at
        SENDING = "sending"      # claimed by a delivery thread until claimed_until
        DELIVERED = "delivered"
        FAILED = "failed"        # given up: the reason is in last_error

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, db_constraint=False, related_name="notifications")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
                             related_name="notifications")
    task = models.ForeignKey("tasks_app.Task", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
                             related_name="+")
    run = models.ForeignKey("tasks_app.Run", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False,
                            related_name="+")
    event = models.CharField(max_length=20)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(help_text="the documented body, as of the event")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=40, blank=True, help_text="the token of the delivery thread holding it")
    claimed_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's question: what is due (pending) or abandoned (sending past its claim).
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx",
                         condition=models.Q(status__in=["pending", "sending"])),
            models.Index(fields=["-created_at", "-id"], name="notification_created_idx"),
        ]

    def __str__(self):
        return f"notification {self.pk} ({self.event}, {self.status})"


class DeliveryAttempt(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="delivery_attempts")
    attempt = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    by = models.CharField(max_length=200, blank=True, help_text="the control process that made it")

    class Meta:
        ordering = ["notification", "attempt"]
        constraints = [models.UniqueConstraint(fields=["notification", "attempt"], name="delivery_attempt_unique")]


class TaskHealth(models.Model):
    """A task's run of failures, kept only for tasks some rule covers: how many runs in a row
    failed, since when, and how far the auto-pause has gone."""

    task = models.OneToOneField("tasks_app.Task", on_delete=models.CASCADE, db_constraint=False,
                                primary_key=True, related_name="+")
    consecutive_failures = models.PositiveIntegerField(default=0)
    streak_started_run = models.BigIntegerField(null=True, blank=True, help_text="the first failed run of the streak")
    paused_at_failures = models.PositiveIntegerField(default=0, help_text="the streak length at the last auto-pause")
    last_status = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)


class Alert(models.Model):
    """An SLA breach of a task under a rule (late, stale, long_running), active until the
    condition clears. Activating it is a conditional UPDATE (or an INSERT racing on the unique
    constraint), so that two control processes sweeping at once raise it, and notify, once."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="alerts")
    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, db_constraint=False, related_name="+")
    kind = models.CharField(max_length=20)
    active = models.BooleanField(default=False)
    since = models.DateTimeField(null=True, blank=True, help_text="when the current breach was noticed")
    detail = models.JSONField(default=dict, blank=True)
    activations = models.PositiveIntegerField(default=0)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "task", "kind"], name="alert_unique")]
        indexes = [models.Index(fields=["kind", "active"], name="alert_active_idx")]
