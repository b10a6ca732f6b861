from django.contrib import admin, messages
from django.utils.html import format_html

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

    def has_add_permission(self, request):
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
