from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """worker nodes, their registry and the executors they run"""

    name = "workers_app"
    verbose_name = "Workers"

    def ready(self):
        from tasks_app.services import queries
        from workers_app.models import Worker

        # `runs list --worker W` refuses a worker id the registry does not know.
        queries.worker_registered.provide(lambda worker_id: Worker.objects.filter(worker_id=worker_id).exists())
