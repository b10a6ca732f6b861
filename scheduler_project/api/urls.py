"""/api/v1/: every app's api/urls.py, plus the cross-app stats, the schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from scheduler_project.api.stats import StatsAliasView, StatsView

APP_URLS = ["tasks_app.api.urls", "workers_app.api.urls", "instances_app.api.urls", "accounts_app.api.urls",
            "audit_app.api.urls"]

urlpatterns = [
    *[path("", include(module)) for module in APP_URLS],
    path("stats", StatsView.as_view(), name="stats"),
    path("stats/", StatsAliasView.as_view()),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
