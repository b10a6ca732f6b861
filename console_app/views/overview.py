"""/ui/: the overview. The dashboard's sections (monitoring_app.dashboard, the same numbers as
/dashboard and /dashboard/data), runs per minute by outcome, and the next fires of all tasks."""

from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from console_app import charts, queries
from console_app.access import console_view
from console_app.views.common import fragment, page
from monitoring_app import dashboard

CHART_MINUTES = 180
POLL_SECONDS = 5


@require_GET
@never_cache
@console_view()
def overview(request):
    context = {"data": dashboard.snapshot(), "chart": charts.per_minute(queries.runs_per_minute(CHART_MINUTES)),
               "chart_minutes": CHART_MINUTES, "next_fires": queries.next_fires(10), "poll_seconds": POLL_SECONDS}
    return page(request, "console/_overview_live.html" if fragment(request) else "console/overview.html", context)
