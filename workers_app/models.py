from django.db import models
from django.utils import timezone


class Worker(models.Model):
    """A worker node as its heartbeats describe it. Written only by the control role."""

    class Status(models.TextChoices):
        ONLINE = "online"
        DRAINING = "draining"
        OFFLINE = "offline"
        LOST = "lost"

    LIVE_STATUSES = (Status.ONLINE, Status.DRAINING)  # taking or finishing work

    worker_id = models.CharField(max_length=200, unique=True)
    node = models.CharField(max_length=255, blank=True, help_text="Celery node name, e.g. worker@node1")
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    version = models.CharField(max_length=50, blank=True)
    task_types = models.JSONField(default=list)
    tags = models.JSONField(default=list)
    queues = models.JSONField(default=list)
    concurrency = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ONLINE)
    running = models.JSONField(default=list, help_text="execution ids running at the last heartbeat")
    reserved = models.JSONField(default=list, help_text="execution ids received but not started at the last heartbeat")
    # What reconciliation judges a running run by (workers_app.services.liveness): execution id ->
    # the time of the last heartbeat that listed it running, kept a while after it stops being listed.
    last_listed = models.JSONField(default=dict, blank=True)
    load = models.FloatField(default=0.0, help_text="running / concurrency")
    executions_started = models.PositiveBigIntegerField(default=0)
    executions_finished = models.PositiveBigIntegerField(default=0)
    consuming = models.JSONField(default=list, help_text="queues consumed at the last heartbeat")
    first_seen = models.DateTimeField(default=timezone.now)
    last_heartbeat = models.DateTimeField(default=timezone.now, db_index=True)
    # Progress-based health: when executions_started last grew, and since when the worker
    # has been idle with free slots while its queues hold work ("alive but not consuming").
    progress_at = models.DateTimeField(default=timezone.now)
    stalled_since = models.DateTimeField(null=True, blank=True)
    drain_requested_at = models.DateTimeField(null=True, blank=True)
    drain_requested_by = models.CharField(max_length=200, blank=True)
    drain_deadline = models.DateTimeField(null=True, blank=True)
    drained_at = models.DateTimeField(null=True, blank=True, help_text="when a draining worker ran its last run")

    class Meta:
        ordering = ["worker_id"]

    def __str__(self):
        return self.worker_id

    @property
    def healthy(self) -> bool:
        return self.status in self.LIVE_STATUSES and self.stalled_since is None

    @property
    def drain_state(self) -> str:
        """"" when not draining; "draining", "drained", or "overdue" (running past the deadline)."""
        if self.status != self.Status.DRAINING:
            return ""
        if self.drained_at:
            return "drained"
        if self.drain_deadline and self.drain_deadline < timezone.now():
            return "overdue"
        return "draining"


class RejectedMessage(models.Model):
    """A broker message a role refused (scheduler_project/broker_guard.py; a heartbeat the control
    role could not take): the dead-letter record of what it was and why. Written only by the
    control role, from the refusing consumer's report; the message itself was rejected without
    requeue, so it is never redelivered."""

    class Reason(models.TextChoices):
        CONTENT_TYPE = "content_type"
        MALFORMED = "malformed"
        UNKNOWN_TASK = "unknown_task"
        WRONG_ROLE = "wrong_role"
        INVALID_PAYLOAD = "invalid_payload"

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=20, choices=Reason.choices, db_index=True)
    detail = models.TextField(blank=True)
    queue = models.CharField(max_length=255, blank=True)
    exchange = models.CharField(max_length=255, blank=True)
    task_name = models.CharField(max_length=255, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    headers = models.TextField(blank=True, help_text="the message's headers as JSON, capped")
    body = models.TextField(blank=True, help_text="the start of the body (UTF-8, undecodable bytes replaced)")
    body_size = models.PositiveIntegerField(default=0)
    node = models.CharField(max_length=255, blank=True, help_text="the consumer that refused it")
    role = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.reason}: {self.task_name or '?'} on {self.queue or '?'}"
