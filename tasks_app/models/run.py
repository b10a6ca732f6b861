import functools

from django.db import connections, models, router
from django.utils import timezone

from tasks_app import states
from tasks_app.models import statements


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

    def move_attempt(self, run_id: int, attempt: int, fence: str, target: str, *, late_report: bool = False,
                     uncancelled: bool = False, **fields) -> int:
        """move() for one attempt, the hot path's compare-and-set (a status event, a publish):

            UPDATE run SET status = target, <fields> WHERE id = run_id AND attempt = attempt
                AND fence = fence [AND cancel_requested_at IS NULL (uncancelled)]
                AND status IN states.sources_of(target, late_report)

        exactly what Run.objects.filter(pk=..., attempt=..., fence=...).move(target, ...) says,
        written out once per set of fields: the ORM's compilation of that UPDATE was two fifths
        of the control role's work per event once the run's read was written out too
        (bench/profile_events.py). The transition table stays the one judge of what may move."""
        return statements.update_together(self.attempt_move(run_id, attempt, fence, target, late_report=late_report,
                                                            uncancelled=uncancelled, **fields))[0]

    def moved_attempt(self, run_id: int, attempt: int, fence: str, target: str, returning: tuple[str, ...], *,
                      uncancelled: bool = False, **fields):
        """move_attempt() that hands back the run it moved, with the `returning` fields as the
        move left them (UPDATE ... RETURNING: one statement), or None when it moved nothing."""
        return statements.update_returning(self.attempt_move(run_id, attempt, fence, target, uncancelled=uncancelled,
                                                             **fields), returning)

    def attempt_move(self, run_id: int, attempt: int, fence: str, target: str, *, late_report: bool = False,
                     uncancelled: bool = False, **fields) -> statements.Update:
        """move_attempt()'s UPDATE, not yet applied: for statements.update_together."""
        return statements.Update(
            Run, {"pk": run_id, "attempt": attempt, "fence": fence}, {"status": target, **dict(sorted(fields.items()))},
            where_in={"status": sorted(states.sources_of(target, late_report))},
            where_null=("cancel_requested_at",) if uncancelled else ())

    def locked(self, run_id: int, fields: tuple[str, ...], task_fields: tuple[str, ...] = ()):
        """The run `run_id` with these fields (and its task with task_fields), its row locked for
        the caller's transaction (FOR UPDATE OF the run alone: a plain FOR UPDATE with the join
        would lock the task's row too, so every conclusion of a task would queue behind its
        triggers); None if there is no such run.

        One statement, written out once per set of fields: the ORM compiled the same SELECT for
        every status event, and that compilation was a third of the control role's work per
        event (bench/profile_events.py). The rows are loaded as the ORM loads them (the
        backend's and the fields' converters, then Model.from_db); a field not listed is loaded
        by a query of its own when it is read, as with only()."""
        db = router.db_for_write(Run)  # the primary, never a replica
        statement, run_columns, task_columns = _locked_read(db, tuple(fields), tuple(task_fields))
        with connections[db].cursor() as cursor:
            cursor.execute(statement, [run_id])
            row = cursor.fetchone()
        if row is None:
            return None
        run = statements.loaded(Run, db, run_columns, row[:len(run_columns)])
        if task_columns:
            run.task = statements.loaded(task_columns[0].model, db, task_columns, row[len(run_columns):])
        return run


@functools.cache
def _locked_read(db: str, fields: tuple[str, ...], task_fields: tuple[str, ...]) -> tuple[str, tuple, tuple]:
    quote = connections[db].ops.quote_name
    task_model = Run._meta.get_field("task").related_model
    run_columns = statements.columns_in_model_order(Run, fields)
    task_columns = statements.columns_in_model_order(task_model, task_fields) if task_fields else ()
    run_table, task_table = quote(Run._meta.db_table), quote(task_model._meta.db_table)
    selected = [f"{run_table}.{quote(f.column)}" for f in run_columns]
    selected += [f"{task_table}.{quote(f.column)}" for f in task_columns]
    statement = f"SELECT {', '.join(selected)} FROM {run_table}"
    if task_columns:
        statement += (f" INNER JOIN {task_table} ON ({run_table}.{quote(Run._meta.get_field('task').column)}"
                      f" = {task_table}.{quote(task_model._meta.pk.column)})")
    statement += f" WHERE {run_table}.{quote(Run._meta.pk.column)} = %s"
    return statement + statements.lock_clause(db, statements.UPDATE, run_table if task_columns else None), \
        run_columns, task_columns


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
