from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """worker nodes, their registry and the executors they run"""

    name = "workers_app"
    verbose_name = "Workers"
