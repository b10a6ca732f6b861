"""/api/v1/: every app's api/urls.py, plus the schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

APP_URLS = ["tasks_app.api.urls", "workers_app.api.urls", "instances_app.api.urls", "accounts_app.api.urls",
            "audit_app.api.urls", "monitoring_app.api.urls", "notifications_app.api.urls"]

urlpatterns = [
    *[path("", include(module)) for module in APP_URLS],
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
