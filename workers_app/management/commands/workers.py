from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scheduler_project.tables import render
from workers_app import services
from workers_app.models import Worker


class Command(BaseCommand):
    help = "Worker registry: `workers status`, `workers drain ID [--deadline S]`, `workers resume ID`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="the registry as a table")
        drain = sub.add_parser("drain", help="stop a worker taking new executions")
        drain.add_argument("worker_id")
        drain.add_argument("--deadline", type=int, help="seconds the running executions may take")
        resume = sub.add_parser("resume", help="make a drained worker consume again")
        resume.add_argument("worker_id")

    def handle(self, *args, action, **options):
        try:
            if action == "status":
                self.status()
            elif action == "drain":
                worker = services.drain(options["worker_id"], by="cli", deadline_seconds=options["deadline"])
                self.stdout.write(f"{worker.worker_id}: draining until {worker.drain_deadline:%Y-%m-%d %H:%M:%S}Z; "
                                  f"{len(worker.running)} running")
            elif action == "resume":
                self.stdout.write(f"{services.resume(options['worker_id'], by='cli').worker_id}: online")
        except services.UnknownWorker as exc:
            raise CommandError(str(exc)) from None

    def status(self):
        now = timezone.now()
        rows = [
            [w.worker_id, w.status + (f" ({w.drain_state})" if w.drain_state else ""),
             "STALLED" if w.stalled_since else "ok", w.host, f"{len(w.running)}/{w.concurrency}",
             ",".join(w.task_types), ",".join(w.tags) or "-", f"{int((now - w.last_heartbeat).total_seconds())}s ago",
             w.executions_started, w.version]
            for w in Worker.objects.order_by("worker_id")
        ]
        headers = ["WORKER", "STATUS", "HEALTH", "HOST", "RUNNING", "TYPES", "TAGS", "HEARTBEAT", "STARTED", "VERSION"]
        self.stdout.write(render(headers, rows) if rows else "no worker has sent a heartbeat yet")
