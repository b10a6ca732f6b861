"""/api/system/ (outside v1, as the seed's runbook calls them)."""

from django.urls import path

from scheduler_project.api.system import HealthDetailedView, InfoView, ReloadConfigView

urlpatterns = [
    path("info", InfoView.as_view(), name="system-info"),
    path("health/detailed", HealthDetailedView.as_view(), name="system-health-detailed"),
    path("reload-config", ReloadConfigView.as_view(), name="system-reload-config"),
]
