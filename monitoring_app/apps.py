from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Every read-side number in one place: /metrics, /api/v1/stats, /api/system/health/detailed,
    the dashboard (and the console's overview)."""

    name = "monitoring_app"
    verbose_name = "Monitoring"

    def ready(self):
        from monitoring_app import metrics

        metrics.register()  # the scrape-time collectors, in the default registry
