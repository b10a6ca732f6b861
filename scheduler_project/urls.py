"""The composition root of the URL space: the one infrastructure module that names the apps'
views, alongside the Celery app's bootstep registration (scheduler_project/celery.py)."""

from django.contrib import admin
from django.urls import include, path

from monitoring_app import views as monitoring_views
from scheduler_project import views

urlpatterns = [
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scheduler_project.api.urls")),
    path("api/system/", include("scheduler_project.api.system_urls")),
    path("api/system/", include("monitoring_app.api.system_urls")),
    # /metrics: django-prometheus plus the platform collectors, summed across gunicorn workers.
    path("metrics", monitoring_views.metrics, name="prometheus-django-metrics"),
    path("dashboard", monitoring_views.dashboard, name="dashboard"),
    path("dashboard/data", monitoring_views.dashboard_data, name="dashboard-data"),
    # The operator console (console_app): overview, tasks, runs with live output, workers, dead letters.
    path("ui/", include("console_app.urls")),
]

# Under /api/ errors answer in the API's one error body; elsewhere Django's pages.
handler400 = "scheduler_project.api.errors.handler400"
handler403 = "scheduler_project.api.errors.handler403"
handler404 = "scheduler_project.api.errors.handler404"
handler500 = "scheduler_project.api.errors.handler500"
