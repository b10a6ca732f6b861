"""/api/v1/: every app's api/urls.py, plus the schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from scheduler_project.api.renderers import OpenApiHtmlRenderer

APP_URLS = ["tasks_app.api.urls", "workers_app.api.urls", "instances_app.api.urls", "accounts_app.api.urls",
            "audit_app.api.urls", "monitoring_app.api.urls", "notifications_app.api.urls"]

urlpatterns = [
    *[path("", include(module)) for module in APP_URLS],
    # A browser asking for HTML gets the document as a page (clients: YAML or JSON, as before).
    path("schema/", SpectacularAPIView.as_view(renderer_classes=[*SpectacularAPIView.renderer_classes,
                                                                 OpenApiHtmlRenderer]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]
