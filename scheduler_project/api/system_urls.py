"""/api/system/ (outside v1, as the seed's runbook calls them); health/detailed is monitoring_app's."""

from django.urls import path

from scheduler_project.api.system import InfoView, ReloadConfigView

urlpatterns = [
    path("info", InfoView.as_view(), name="system-info"),
    path("reload-config", ReloadConfigView.as_view(), name="system-reload-config"),
]
