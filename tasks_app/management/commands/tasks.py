from django.core.management.base import BaseCommand

from scheduler_project.tables import render
from tasks_app.models import Task
from tasks_app.schedules import to_json


class Command(BaseCommand):
    help = "Task definitions: `tasks list`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the tasks as a table")

    def handle(self, *args, action, **options):
        rows = []
        for task in Task.objects.order_by("name"):
            schedule = to_json(task.parsed_schedule) or {}
            rows.append([
                task.pk, task.name, task.type, " ".join(f"{k}={v}" for k, v in schedule.items()) or "-",
                "yes" if task.enabled else "no", task.overlap_policy, task.misfire_policy,
                f"{task.next_fire_at:%Y-%m-%d %H:%M:%S}Z" if task.next_fire_at else "-",
            ])
        headers = ["ID", "NAME", "TYPE", "SCHEDULE", "ENABLED", "OVERLAP", "MISFIRE", "NEXT FIRE (UTC)"]
        self.stdout.write(render(headers, rows) if rows else "no tasks defined")
