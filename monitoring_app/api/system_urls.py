"""/api/system/health/detailed (beside the infrastructure's /api/system/ endpoints)."""

from django.urls import path

from monitoring_app.api.views import HealthDetailedView

urlpatterns = [path("health/detailed", HealthDetailedView.as_view(), name="system-health-detailed")]
