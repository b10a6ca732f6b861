"""/ui/tasks/: the list, a task's page, the definition form (new and edit), and its actions:
trigger with parameters, pause, resume."""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console_app import actions, charts, queries
from console_app.access import TASK_READ, TASK_WRITE, console_view, record_refusal, refused
from console_app.actions import Refused
from console_app.forms import HTTP_METHODS, PRESETS, ParamRows, TaskForm, field_of
from console_app.present import schedule_view, zone_names
from console_app.views.common import back, page, report_refusal, start_run
from tasks_app import states
from tasks_app.api.views.tasks import SHELL_NEEDS_ADMIN
from tasks_app.models import Task
from tasks_app.schedules import ScheduleError, parse_schedule

NEXT_FIRES = 10


@require_GET
@never_cache
@console_view(TASK_READ)
def task_list(request):
    filters = queries.TaskFilters.from_query(request.GET)
    rows, more = queries.task_page(filters)
    for row in rows:
        row["strip"] = charts.strip(row["runs"])
        row["spark"] = charts.sparkline(row["runs"])
    query = request.GET.copy()
    query.pop("page", None)
    return page(request, "console/tasks/list.html", {
        "rows": rows, "filters": filters, "more": more, "query": query.urlencode(), "types": Task.Type.values,
        "statuses": states.STATUSES,
    })


@require_GET
@never_cache
@console_view(TASK_READ)
def task_detail(request, task_id: int):
    task = get_object_or_404(Task, pk=task_id)
    schedule = schedule_view(task.schedule, task.created_at)
    history = queries.task_history(task)
    return page(request, "console/tasks/detail.html", {
        "task": task, "schedule": schedule, "fires": schedule.next_fires(NEXT_FIRES), "history": history[:20],
        "chart": charts.history(history, lambda run: reverse("console:run", args=[run["id"]])),
        "history_size": len(history), "params": ParamRows(task.params),
    })


def _form_page(request, form: TaskForm, task: Task | None, status: int = 200):
    return page(request, "console/tasks/form.html", {
        "form": form, "v": form.values, "errors": form.errors, "task": task, "zones": zone_names(),
        "methods": HTTP_METHODS, "presets": PRESETS, "params": form.params, "overlap": Task.Overlap.values,
        "misfire": Task.Misfire.values,
    }, status=status)


def _edit(request, task: Task | None):
    creating = task is None
    action = "task.create" if creating else "task.update"
    if request.method == "GET":
        if task is not None and not request.viewer.edits(task.type):
            return refused(request, SHELL_NEEDS_ADMIN)
        return _form_page(request, TaskForm(task), task)
    form = TaskForm(task, request.POST)
    # As the API: the type is judged before the body, old and new (a shell task stays Admin's).
    types = {form.values.get("type")} | ({task.type} if task else set())
    if not all(request.viewer.edits(t) for t in types):
        record_refusal(request, action, str(task.pk if task else ""), SHELL_NEEDS_ADMIN, 403)
        return refused(request, SHELL_NEEDS_ADMIN)
    if not form.is_valid():
        record_refusal(request, action, str(task.pk if task else ""), "; ".join(m for _, m in form.error_list()), 400)
        return _form_page(request, form, task, status=400)
    try:
        saved = actions.save_task(request, task or Task(), form.save, creating)
    except Refused:
        return _form_page(request, form, task, status=400)
    messages.success(request, f"Task {saved.name} {'created' if creating else 'saved'}.")
    return redirect("console:task", saved.pk)


@require_http_methods(["GET", "POST"])
@never_cache
@console_view(TASK_WRITE, write=TASK_WRITE, action="task.create")
def task_new(request):
    return _edit(request, None)


@require_http_methods(["GET", "POST"])
@never_cache
@console_view(TASK_WRITE, write=TASK_WRITE, action="task.update")
def task_edit(request, task_id: int):
    return _edit(request, get_object_or_404(Task, pk=task_id))


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="task.trigger")
def task_trigger(request, task_id: int):
    task = get_object_or_404(Task, pk=task_id)
    return start_run(request, task.params, lambda params: actions.trigger(request, task, params),
                     reverse("console:task", args=[task.pk]), lambda run: f"Triggered {task.name}: run #{run.pk}.")


def _set_enabled(request, task_id: int, enabled: bool):
    task = get_object_or_404(Task, pk=task_id)
    try:
        actions.set_enabled(request, task, enabled)
    except Refused as exc:
        return report_refusal(request, exc, reverse("console:task", args=[task.pk]))
    messages.success(request, f"{task.name} {'resumed' if enabled else 'paused'}.")
    return back(request, reverse("console:task", args=[task.pk]))


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="task.pause")
def task_pause(request, task_id: int):
    return _set_enabled(request, task_id, False)


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="task.resume")
def task_resume(request, task_id: int):
    return _set_enabled(request, task_id, True)


@require_GET
@never_cache
@console_view(TASK_READ)
def schedule_preview(request):
    """The schedule builder's live preview: the schedule in words and its next fires in its
    zone, or the API's message for what is wrong with it."""
    form = TaskForm(None, request.GET)
    body = form.body()
    schedule_json = body["schedule"]
    if form.errors.get("timezone"):
        return JsonResponse({"error": form.errors["timezone"][0], "field": "timezone"}, status=400)
    try:
        parse_schedule(schedule_json, default_anchor=timezone.now())
    except ScheduleError as exc:
        return JsonResponse({"error": str(exc), "field": field_of("schedule", str(exc))}, status=400)
    view = schedule_view(schedule_json)
    return JsonResponse({"kind": view.kind, "words": view.words, "zone": view.zone,
                         "fires": [t.strftime("%a %Y-%m-%d %H:%M:%S %Z") for t in view.next_fires(NEXT_FIRES)]})
