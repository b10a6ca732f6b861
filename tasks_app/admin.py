from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from scheduler_project.errors import EngineError
from tasks_app import states
from tasks_app.models import Run, RunAttempt, Task
from tasks_app.services import cancelling, definitions


def _report(modeladmin, request, done: int, verb: str, errors: list[str]):
    if done:
        modeladmin.message_user(request, f"{verb} {done}.", messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.ERROR)


class RecentRunsInline(admin.TabularInline):
    model = Run
    fields = ("id", "status", "trigger", "scheduled_for", "attempt", "worker", "started_at", "finished_at", "exit_code")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    max_num = 0
    can_delete = False  # history is deleted by `manage.py cleanup` only
    show_change_link = True
    verbose_name_plural = "Recent runs"

    def get_queryset(self, request):
        # Only the latest runs: a task may have millions.
        queryset = super().get_queryset(request)
        ids = list(queryset.order_by("-created_at").values_list("pk", flat=True)[:20])
        return queryset.filter(pk__in=ids)


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "schedule", "enabled", "overlap_policy", "misfire_policy", "next_fire_at")
    list_filter = ("type", "enabled", "overlap_policy", "misfire_policy")
    search_fields = ("name", "description")
    readonly_fields = ("periodic_task", "last_scheduled_for", "next_fire_at", "created_at", "updated_at")
    inlines = [RecentRunsInline]
    actions = ["trigger_now", "pause", "resume"]

    def view_on_site(self, task):
        return f"/ui/tasks/{task.pk}/"  # the operator console's page ("view on site")

    @admin.action(description="Trigger now")
    def trigger_now(self, request, queryset):
        runs = [definitions.trigger(task, by=f"admin:{request.user.get_username()}") for task in queryset]
        _report(self, request, len(runs), "Triggered", [])

    @admin.action(description="Pause (disable the schedule)")
    def pause(self, request, queryset):
        _report(self, request, sum(definitions.set_enabled(t, False) for t in queryset), "Paused", [])

    @admin.action(description="Resume")
    def resume(self, request, queryset):
        _report(self, request, sum(definitions.set_enabled(t, True) for t in queryset), "Resumed", [])


class RunAttemptInline(admin.TabularInline):
    model = RunAttempt
    fields = ("attempt", "status", "worker", "started_at", "finished_at", "exit_code", "http_status", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "colored_status", "trigger", "scheduled_for", "attempt", "worker", "created_at")
    list_filter = ("status", "trigger", "task__type")
    search_fields = ("task__name", "worker", "error")
    list_select_related = ("task",)
    date_hierarchy = "created_at"
    inlines = [RunAttemptInline]
    actions = ["cancel", "replay"]
    show_full_result_count = False  # no COUNT(*) over millions of runs

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Run._meta.fields]

    def view_on_site(self, run):
        return f"/ui/runs/{run.pk}/"  # the operator console's page ("view on site")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        """Runs and their attempts are the platform's history: `manage.py cleanup` deletes them,
        by age and retention, in batches; the admin never does."""
        return False

    @admin.display(description="status", ordering="status")
    def colored_status(self, run):
        color = {"succeeded": "green", "running": "blue", "dead": "darkred", "failed": "red"}.get(run.status, "inherit")
        return format_html('<b style="color:{}">{}</b>', color, run.status)

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        done, errors = 0, []
        for run in queryset.exclude(status__in=states.FINAL):
            try:
                cancelling.request_cancel(run.pk, by=f"admin:{request.user.get_username()}")
                done += 1
            except EngineError as exc:
                errors.append(str(exc))
        _report(self, request, done, "Cancel requested for", errors)

    @admin.action(description="Replay (run again as a new run)")
    def replay(self, request, queryset):
        done, errors = 0, []
        for run in queryset:
            try:
                definitions.replay(run, by=f"admin:{request.user.get_username()}")
                done += 1
            except EngineError as exc:
                errors.append(str(exc))
        _report(self, request, done, "Replayed", errors)


# --- django-celery-beat's rows

def internal_beat_row(row: PeriodicTask) -> bool:
    """The platform's own beat rows (the sweeps of CELERY_BEAT_SCHEDULE, celery's own): beat
    writes them at every start from the settings, an edit would only break a sweep until then.
    A task's row (`taskplane: <name> (#id)`) stays editable: beat_sync carries edits to the task."""
    return row.name in settings.CELERY_BEAT_SCHEDULE or row.name.startswith("celery.")


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    """django-celery-beat's admin, with the internal rows read-only and undeletable."""

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and internal_beat_row(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and internal_beat_row(obj)) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        internal = [f"{row.name} (internal: written by beat from the settings)" for row in objs if internal_beat_row(row)]
        return deleted, counts, perms_needed, [*protected, *internal]

    def _leave_internal(self, request, queryset):
        skipped = [row.name for row in queryset if internal_beat_row(row)]
        if skipped:
            self.message_user(request, f"Left the internal rows alone: {', '.join(skipped)}.", messages.WARNING)
        return queryset.exclude(pk__in=[row.pk for row in queryset if internal_beat_row(row)])

    @admin.action(description="Enable selected tasks")
    def enable_tasks(self, request, queryset):
        return super().enable_tasks(request, self._leave_internal(request, queryset))

    @admin.action(description="Disable selected tasks")
    def disable_tasks(self, request, queryset):
        return super().disable_tasks(request, self._leave_internal(request, queryset))

    @admin.action(description="Toggle activity of selected tasks")
    def toggle_tasks(self, request, queryset):
        return super().toggle_tasks(request, self._leave_internal(request, queryset))

    def delete_queryset(self, request, queryset):
        return super().delete_queryset(request, self._leave_internal(request, queryset))
