"""GET /dashboard (the page), GET /dashboard/data (its numbers as JSON; with ?fragments=1 also
each section rendered as HTML, which the page's script swaps in), and GET /metrics.

/metrics: django-prometheus's HTTP and database metrics plus the platform collectors
(monitoring_app.metrics). Under gunicorn, `manage.py serve` sets PROMETHEUS_MULTIPROC_DIR for
the api role: every worker process writes its prometheus_client values to files there, and a
scrape, whichever worker answers it, sums all of them (prometheus_client's multiprocess mode).
The default registry would then hold only the answering worker's own values, so the
scrape-time collectors (which read Redis and the database and are the same in every process)
are added to the per-scrape registry here. django-prometheus's own view would leave them out
in that mode.
"""

import os

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from monitoring_app import dashboard as services
from monitoring_app.access import Access, check
from monitoring_app.metrics import scrape_time_collectors

SECTIONS = ("summary", "instances", "workers", "queues", "running", "recent", "dead_letters")
POLL_SECONDS = 5


def _refused(request, access: Access, reason: str, json: bool):
    status = 403 if access == Access.FORBIDDEN else 401
    if access == Access.LOGIN and not json:
        return redirect_to_login(request.get_full_path(), login_url=reverse("admin:login"))
    if json:
        return JsonResponse({"error": {"status": status, "message": reason}}, status=status)
    return render(request, "dashboard/refused.html", {"reason": reason}, status=status)


@require_GET
@never_cache
def dashboard(request):
    access, reason = check(request)
    if access != Access.GRANTED:
        return _refused(request, access, reason, json=False)
    context = {"data": services.snapshot(), "poll_seconds": POLL_SECONDS, "sections": SECTIONS}
    return render(request, "dashboard/index.html", context)


@require_GET
@never_cache
def dashboard_data(request):
    access, reason = check(request)
    if access != Access.GRANTED:
        return _refused(request, access, reason, json=True)
    data = services.snapshot()
    if request.GET.get("fragments"):
        data["fragments"] = {
            name: render_to_string(f"dashboard/_{name}.html", {"data": data}, request=request) for name in SECTIONS
        }
    return JsonResponse(data)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def metrics(request):
    if multiprocess_dir():
        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry)
        for collector in scrape_time_collectors():
            registry.register(collector)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
