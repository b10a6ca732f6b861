"""GET /dashboard (the page) and GET /dashboard/data (its numbers as JSON; with
?fragments=1 also each section rendered as HTML, which the page's script swaps in)."""

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard_app import services
from dashboard_app.access import Access, check

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
