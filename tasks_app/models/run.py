from django.db import models
from django.utils import timezone

from tasks_app import states


class RunQuerySet(models.QuerySet):
    def move(self, target: str, late_report: bool = False, **fields) -> int:
        """The one way a run's status changes: a compare-and-set along the transition table,

            UPDATE ... SET status = target, <fields> WHERE <this queryset's filters>
                                                      AND status IN states.sources_of(target)

        Callers narrow the queryset to the run and the attempt (and fence) they mean; the table
        decides which statuses it may leave. Returns the rows moved: 0 means the run had moved
        on already (a duplicate, late or superseded event, a cancel that came first).
        late_report: the real outcome of an attempt concluded lost (states.LATE_REPORT_SOURCES)."""
        return self.filter(status__in=states.sources_of(target, late_report)).update(status=target, **fields)

    def one(self):
        """The run this queryset names (by its primary key), or None: first() without an ORDER
        BY, whose compilation was a tenth of the control role's work per status event. The
        model's default ordering is cleared too: a slice alone keeps it."""
        return next(iter(self.order_by()[:1]), None)


class Run(models.Model):
    """One execution of a task, across all of its attempts.

    The status only moves along tasks_app.states.TRANSITIONS, through Run.objects...move()
    (a compare-and-set); (attempt, fence) identify the current attempt, so that events of a
    superseded attempt cannot change the run.
    """

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        MANUAL = "manual"
        API = "api"
        REPLAY = "replay"

    objects = RunQuerySet.as_manager()

    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=[(s, s) for s in states.STATUSES], default=states.PENDING)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.CharField(max_length=200, blank=True, help_text="who triggered or replayed it (a key, a user)")
    scheduled_for = models.DateTimeField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    attempt = models.PositiveIntegerField(default=1)
    fence = models.CharField(max_length=32, blank=True, help_text="token of the current attempt's dispatch")
    hold_reason = models.CharField(max_length=100, blank=True, help_text="why a pending run is not dispatched yet")
    routing_error = models.CharField(
        max_length=300, blank=True, help_text="set while no online worker consumes the run's queue"
    )
    queue = models.CharField(max_length=200, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    node = models.CharField(max_length=255, blank=True, help_text="the Celery node running it, e.g. worker@node1")
    # db_default: processes of the previous release (a rolling upgrade) insert runs without it.
    claim = models.CharField(
        max_length=32, blank=True, db_default="",
        help_text="the start claim of the delivery that runs the current attempt",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    stdout = models.TextField(blank=True, help_text="shell stdout or HTTP response body, capped")
    stderr = models.TextField(blank=True)
    response_headers = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=200, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Guarantee 1: however many dispatchers fire, one run per (task, fire time).
            models.UniqueConstraint(
                fields=["task", "scheduled_for"],
                condition=models.Q(trigger="schedule"),
                name="run_unique_schedule_fire",
            ),
            models.CheckConstraint(condition=models.Q(status__in=list(states.STATUSES)), name="run_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="run_status_next_idx"),
            models.Index(fields=["task", "status"], name="run_task_status_idx"),
            models.Index(fields=["worker", "status"], name="run_worker_status_idx"),
            # The API's cursor pagination: newest first, overall and per task.
            models.Index(fields=["-created_at", "-id"], name="run_created_id_idx"),
            models.Index(fields=["task", "-created_at", "-id"], name="run_task_created_idx"),
        ]

    def __str__(self):
        return f"run {self.pk} of {self.task_id} ({self.status}, attempt {self.attempt})"

    @property
    def execution_id(self) -> str:
        return f"run-{self.pk}-a{self.attempt}-{self.fence}"

    @property
    def is_final(self) -> bool:
        return self.status in states.FINAL


class RunAttempt(models.Model):
    """The record of each attempt of a run, kept when the run moves on to the next."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="attempts")
    attempt = models.PositiveIntegerField()
    fence = models.CharField(max_length=32)
    status = models.CharField(max_length=10)
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "attempt"]
        constraints = [models.UniqueConstraint(fields=["run", "attempt"], name="run_attempt_unique")]


class OutboxEntry(models.Model):
    """A message written in the same transaction as the state it announces (guarantee 2).

    Published after commit; whatever is still unpublished a little later (the process died
    between commit and publish, or the broker was away) is published again by the sweep.
    Whoever sends an entry holds its claim first (claimed_at, claim_token: a conditional UPDATE,
    tasks_app.services.dispatch), so two sweeps never send one entry twice; the writer holds it
    from the INSERT on, and a claim older than the claim timeout is a dead sender's.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="outbox")
    name = models.CharField(max_length=100)  # the Celery task name
    queue = models.CharField(max_length=200)
    message_id = models.CharField(max_length=200)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="when its current sender claimed it")
    claim_token = models.CharField(max_length=32, blank=True, help_text="who holds the claim (one per hand-over)")

    class Meta:
        indexes = [models.Index(fields=["published_at", "created_at"], name="outbox_unpublished_idx")]
