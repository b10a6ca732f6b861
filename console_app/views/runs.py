"""/ui/runs/: the keyset-paginated list with filters, a run's page (attempts, times, output:
live while it runs, captured after), and its actions: cancel, replay with edited parameters."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from console_app import actions, queries
from console_app.access import TASK_READ, TASK_WRITE, console_view
from console_app.actions import Refused
from console_app.forms import ParamRows
from console_app.views.common import back, page, report_refusal, start_run
from tasks_app import states
from tasks_app.models import Run, Task
from tasks_app.services.definitions import REPLAYABLE


@require_GET
@never_cache
@console_view(TASK_READ)
def run_list(request):
    filters = queries.RunFilters.from_query(request.GET)
    found = queries.run_page(filters)
    query = request.GET.copy()
    query.pop("cursor", None)
    task = Task.objects.filter(pk=filters.task).only("id", "name").first() if filters.task else None
    return page(request, "console/runs/list.html", {
        **found, "filters": filters, "query": query.urlencode(), "statuses": states.STATUSES,
        "triggers": Run.Trigger.values, "task": task, "windows": list(queries.RunFilters.WINDOWS),
    })


def _run_or_404(run_id: int) -> Run:
    run = queries.run_detail(run_id)
    if run is None:
        raise Http404(f"no run {run_id}")
    return run


@require_GET
@never_cache
@console_view(TASK_READ)
def run_detail(request, run_id: int):
    run = _run_or_404(run_id)
    context = {
        "run": run, "attempts": queries.attempts_of(run), "replays": queries.replays_of(run),
        "active": run.status in states.ACTIVE, "replayable": run.status in REPLAYABLE,
        "params": ParamRows(run.params), "events_url": reverse("run-events", args=[run.pk]),
        "final": sorted(states.FINAL), "open_replay": request.GET.get("replay") == "1",
    }
    part = request.GET.get("part")  # the page's script refreshes one part: summary or output
    template = {"summary": "console/runs/_summary.html", "output": "console/runs/_output.html"}.get(
        part, "console/runs/detail.html")
    return page(request, template, context)


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="run.cancel")
def run_cancel(request, run_id: int):
    run = _run_or_404(run_id)
    try:
        actions.cancel(request, run)
    except Refused as exc:
        return report_refusal(request, exc, reverse("console:run", args=[run.pk]))
    messages.success(request, f"Cancel requested for run #{run.pk}.")
    return back(request, reverse("console:run", args=[run.pk]))


@require_POST
@console_view(TASK_READ, write=TASK_WRITE, action="run.replay")
def run_replay(request, run_id: int):
    run = _run_or_404(run_id)
    return start_run(request, run.params, lambda params: actions.replay(request, run, params),
                     reverse("console:run", args=[run.pk]), lambda new: f"Run #{run.pk} replayed as run #{new.pk}.")
