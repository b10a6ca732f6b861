from django.conf import settings
from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.db.models import Max

from tasks_app.models import Task


@register("taskplane")
def check_visibility_timeout(app_configs=None, **kwargs):
    """With the Redis broker, an unacknowledged message is handed to another worker after the
    visibility timeout: a task running longer would run twice."""
    mq = settings.TP.message_queue
    if mq.type != "redis_stream" or settings.ROLE == "worker":
        return []
    try:
        longest = Task.objects.aggregate(longest=Max("timeout_seconds"))["longest"] or 0
    except (DatabaseError, ImproperlyConfigured):  # not migrated yet, or no database here
        return []
    visibility = mq.redis.visibility_timeout_seconds
    if longest >= visibility:
        return [
            # A warning, not an error: a stored task must never stop the platform from starting.
            # New and edited tasks are held to the limit by Task.clean().
            Warning(
                f"message_queue.redis.visibility_timeout_seconds ({visibility}) must exceed the longest task "
                f"timeout ({longest} s), or a long run is delivered to a second worker",
                hint="Raise visibility_timeout_seconds or lower the task's timeout_seconds.",
                id="taskplane.W010",
            )
        ]
    return []
