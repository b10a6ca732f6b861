from django.apps import AppConfig, apps


class SchedulerProjectConfig(AppConfig):
    """The project itself: configuration checks, the serve / config commands, the API base."""

    name = "scheduler_project"
    verbose_name = "Taskplane"

    def ready(self):
        from scheduler_project import celery, checks, lifecycle_log  # noqa: F401  the Celery app (see __init__); system checks

        lifecycle_log.connect_celery_signals()  # "Redis connected" from the dispatcher and control roles

        if not apps.is_installed("rest_framework"):
            return  # the worker role's lean app list (settings.WORKER_APPS) has no API
        from scheduler_project.api import checks as api_checks  # noqa: F401  the API's configuration checks
        from scheduler_project.api.serializers import refuse_numbers_for_strings

        refuse_numbers_for_strings()  # a string field takes a JSON string, as the schema says
        from scheduler_project.api import (
            cors,  # noqa: F401  CORS origins from the live configuration
            schema,  # noqa: F401  registers the X-API-Key OpenAPI scheme
        )
