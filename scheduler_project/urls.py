from django.contrib import admin
from django.urls import include, path

from dashboard_app import views as dashboard_views
from scheduler_project import views
from scheduler_project.metrics import views as metrics_views

urlpatterns = [
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scheduler_project.api.urls")),
    path("api/system/", include("scheduler_project.api.system_urls")),
    # /metrics: django-prometheus plus the platform collectors, summed across gunicorn workers.
    path("metrics", metrics_views.metrics, name="prometheus-django-metrics"),
    path("dashboard", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/data", dashboard_views.dashboard_data, name="dashboard-data"),
]

# Under /api/ errors answer in the API's one error body; elsewhere Django's pages.
handler400 = "scheduler_project.api.errors.handler400"
handler403 = "scheduler_project.api.errors.handler403"
handler404 = "scheduler_project.api.errors.handler404"
handler500 = "scheduler_project.api.errors.handler500"
