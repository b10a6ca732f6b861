from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """worker nodes, their registry and the executors they run"""

    name = "workers_app"
    verbose_name = "Workers"

    def ready(self):
        from workers_app import metrics

        metrics.register()
