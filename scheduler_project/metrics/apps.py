from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """Observability: platform metrics in Redis exported at scrape time, key log events."""

    name = "scheduler_project.metrics"
    label = "taskplane_metrics"
    verbose_name = "Observability"

    def ready(self):
        from scheduler_project import lifecycle_log
        from scheduler_project.metrics import collector

        collector.register()
        lifecycle_log.connect_celery_signals()
