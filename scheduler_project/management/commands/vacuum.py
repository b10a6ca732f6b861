from django.core.management.base import CommandError

from scheduler_project.commandline.command import OperatorCommand
from scheduler_project.maintenance import MaintenanceError, vacuum


class Command(OperatorCommand):
    help = "VACUUM (ANALYZE) our tables (PostgreSQL), or VACUUM and ANALYZE the SQLite file."

    def add_arguments(self, parser):
        parser.add_argument("--table", action="append", help="only this table (repeatable)")

    def handle(self, *args, table, **options):
        try:
            steps = vacuum(table, on_step=lambda s: self.stdout.write(f"{s.statement}: {s.seconds:.2f}s"))
        except MaintenanceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"vacuum done: {len(steps)} statement(s)"))
