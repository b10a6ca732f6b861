from django.core.management.base import CommandError

from scheduler_project.commandline.command import OperatorCommand
from scheduler_project.maintenance import MaintenanceError, reindex


class Command(OperatorCommand):
    help = "Rebuild our tables' indexes: REINDEX TABLE CONCURRENTLY (PostgreSQL), REINDEX (SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("--table", action="append", help="only this table (repeatable)")

    def handle(self, *args, table, **options):
        try:
            steps = reindex(table, on_step=lambda s: self.stdout.write(f"{s.statement}: {s.seconds:.2f}s"))
        except MaintenanceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"reindex done: {len(steps)} statement(s)"))
