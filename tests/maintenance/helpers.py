"""Helpers for the maintenance command tests: run a command, count what is left."""

from io import StringIO

from django.core.management import call_command

from tasks_app.models import Run, Task


def run_command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def remaining(task: Task) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Run.objects.filter(task=task).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
