"""/ui/workers/: the registry (status, health, load, running runs, tags, queues) with Drain (with
a deadline) and Resume, and a worker's page with its recent runs."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from console_app import actions, queries
from console_app.access import WORKER_READ, WORKER_WRITE, console_view
from console_app.actions import Refused
from console_app.forms import DrainSerializer, flatten
from console_app.views.common import back, fragment, page, report_refusal
from workers_app.models import Worker

POLL_SECONDS = 5


@require_GET
@never_cache
@console_view(WORKER_READ)
def worker_list(request):
    context = {"workers": queries.workers(), "poll_seconds": POLL_SECONDS}
    return page(request, "console/workers/_table.html" if fragment(request) else "console/workers/list.html", context)


@require_GET
@never_cache
@console_view(WORKER_READ)
def worker_detail(request, worker_id: str):
    worker = get_object_or_404(Worker, worker_id=worker_id)
    return page(request, "console/workers/detail.html", {"worker": worker, "runs": queries.worker_runs(worker)})


@require_POST
@console_view(WORKER_READ, write=WORKER_WRITE, action="worker.drain")
def worker_drain(request, worker_id: str):
    body = DrainSerializer(data={k: v for k, v in request.POST.items() if k == "deadline_seconds" and v.strip()})
    if not body.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in flatten(body.errors).items()))
        return back(request, reverse("console:workers"))
    try:
        worker = actions.drain(request, worker_id, body.validated_data.get("deadline_seconds"))
    except Refused as exc:
        return report_refusal(request, exc, reverse("console:workers"))
    messages.success(request, f"Draining {worker.worker_id}: it takes no new work; running work should end by "
                              f"{worker.drain_deadline:%H:%M:%S}.")
    return back(request, reverse("console:workers"))


@require_POST
@console_view(WORKER_READ, write=WORKER_WRITE, action="worker.resume")
def worker_resume(request, worker_id: str):
    try:
        worker = actions.resume_worker(request, worker_id)
    except Refused as exc:
        return report_refusal(request, exc, reverse("console:workers"))
    messages.success(request, f"{worker.worker_id} takes work again.")
    return back(request, reverse("console:workers"))
