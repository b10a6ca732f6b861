from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from scheduler_project.config.schema import NAME_RE as TAG_RE
from scheduler_project.queues import MAX_WORKER_TAGS
from tasks_app import specs
from tasks_app.schedules import ScheduleError, parse_schedule


def default_timeout_seconds() -> int:
    """A new task's timeout when it gives none: [scheduler] job_timeout_seconds (the second
    guide's key), read when the task is created."""
    return settings.TP.scheduler.job_timeout_seconds


class Task(models.Model):
    class Type(models.TextChoices):
        SHELL = "shell"
        HTTP = "http"

    class Overlap(models.TextChoices):
        ALLOW = "allow"    # runs may overlap
        FORBID = "forbid"  # a fire while a run is active is recorded as skipped
        QUEUE = "queue"    # a fire while a run is active waits for it, then runs

    class Misfire(models.TextChoices):
        SKIP = "skip"          # fires missed past the grace window are recorded as skipped
        RUN_ONCE = "run_once"  # ... and the latest of them runs
        RUN_ALL = "run_all"    # ... every one of them runs

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=10, choices=Type.choices)
    spec = models.JSONField(help_text='shell: {"command": "echo hi"} or {"argv": [...]}; http: {"url": ..., "method": "GET"}')
    schedule = models.JSONField(
        null=True, blank=True,
        help_text='{"cron": "*/5 * * * *", "timezone": "Europe/Berlin"}, {"interval_seconds": 10}, {"at": "<ISO 8601>"} or empty',
    )
    params = models.JSONField(default=dict, blank=True, help_text="default parameters, overridable per trigger")
    enabled = models.BooleanField(default=True)
    timeout_seconds = models.PositiveIntegerField(
        default=default_timeout_seconds, help_text="default: [scheduler] job_timeout_seconds"
    )
    max_retries = models.PositiveIntegerField(null=True, blank=True, help_text="empty: [message_queue] max_retries")
    retry_delay_seconds = models.FloatField(null=True, blank=True, help_text="empty: [message_queue] retry_delay_seconds")
    retry_backoff = models.FloatField(default=2.0, help_text="each retry waits this many times longer")
    retry_delay_max_seconds = models.FloatField(default=3600.0)
    retry_jitter = models.BooleanField(default=True, help_text="randomise each delay by up to ±25%")
    overlap_policy = models.CharField(max_length=10, choices=Overlap.choices, default=Overlap.ALLOW)
    misfire_policy = models.CharField(max_length=10, choices=Misfire.choices, default=Misfire.RUN_ONCE)
    misfire_grace_seconds = models.PositiveIntegerField(default=60)
    queue = models.CharField(max_length=100, blank=True, help_text="explicit execution queue; empty: by type and tags")
    tags = models.JSONField(default=list, blank=True, help_text="only a worker holding every one of these tags runs it")
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="taskplane_task"
    )
    # The fire ledger's cursor: fire times up to here have been handled (run or skipped).
    last_scheduled_for = models.DateTimeField(null=True, blank=True)
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(type__in=["shell", "http"]), name="task_type_valid"),
            models.CheckConstraint(
                condition=models.Q(overlap_policy__in=["allow", "forbid", "queue"]), name="task_overlap_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(misfire_policy__in=["skip", "run_once", "run_all"]), name="task_misfire_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = specs.errors_of(self.type, self.spec)  # the executors read specs the same way
        try:
            parse_schedule(self.schedule, default_anchor=self.created_at)
        except ScheduleError as exc:
            errors["schedule"] = str(exc)
        errors.update(specs.params_errors(self.params))
        if not (isinstance(self.tags, list) and all(isinstance(t, str) and t for t in self.tags)):
            errors["tags"] = "must be a list of non-empty strings"
        elif any(not TAG_RE.match(t) for t in self.tags):
            errors["tags"] = "tags may only contain letters, digits and _ . @ -"
        elif len(set(self.tags)) > MAX_WORKER_TAGS:
            errors["tags"] = f"at most {MAX_WORKER_TAGS} tags: no worker can hold more"
        if self.timeout_seconds < 1:
            errors["timeout_seconds"] = "must be at least 1"
        mq = settings.TP.message_queue
        if mq.type == "redis_stream" and self.timeout_seconds >= mq.redis.visibility_timeout_seconds:
            errors["timeout_seconds"] = (
                f"must be below message_queue.redis.visibility_timeout_seconds ({mq.redis.visibility_timeout_seconds}):"
                " a longer run would be delivered to a second worker"
            )
        for field in ("retry_delay_seconds", "retry_delay_max_seconds"):
            value = getattr(self, field)
            if value is not None and not value >= 0:  # also NaN
                errors[field] = "must be at least 0"
        if self.retry_backoff < 1:
            errors["retry_backoff"] = "must be at least 1 (1: a constant delay)"
        if errors:
            raise ValidationError(errors)

    # Written by the engine with queryset updates: a definition saved from a stale instance
    # (admin form, API) must not move the fire ledger's cursor back or unlink the beat row.
    ENGINE_FIELDS = frozenset({"periodic_task", "last_scheduled_for", "next_fire_at"})

    def save(self, *args, **kwargs):
        # Invariants hold whatever the caller (admin, API, shell, fixture): validate on save.
        self.clean()
        if self.pk and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in self.ENGINE_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def parsed_schedule(self):
        return parse_schedule(self.schedule, default_anchor=self.created_at)
