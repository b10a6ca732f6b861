from django.apps import AppConfig


class TasksConfig(AppConfig):
    """task definitions, schedules and runs"""

    name = "tasks_app"
    verbose_name = "Tasks"

    def ready(self):
        from tasks_app import checks, signals  # noqa: F401  system checks; beat rows and tasks kept consistent
