from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """/dashboard: the operators' live view (server-rendered, polled)."""

    name = "dashboard_app"
    verbose_name = "Dashboard"
