from django.core.management.base import CommandError

from scheduler_project.commandline import grammar, render
from scheduler_project.commandline.command import OperatorCommand, principal
from workers_app import services
from workers_app.api.serializers import WorkerSerializer
from workers_app.models import Worker


class Command(OperatorCommand):
    help = ("Worker registry: `workers status`, `workers show ID`, `workers drain ID [--deadline S]`, "
            "`workers resume ID`.")

    def add_arguments(self, parser):
        grammar.workers(parser)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except services.UnknownWorker as exc:
            raise CommandError(str(exc)) from None

    def do_status(self, json=False, **options):
        workers = WorkerSerializer(Worker.objects.order_by("worker_id"), many=True).data
        self.print_json(workers) if json else self.stdout.write(render.workers_table(workers))

    def do_show(self, worker_id, json=False, **options):
        data = WorkerSerializer(services.find(worker_id)).data
        self.print_json(data) if json else self.stdout.write(render.worker_detail(data))

    def do_drain(self, worker_id, deadline=None, **options):
        worker = services.drain(worker_id, by=principal(), deadline_seconds=deadline)
        self.stdout.write(f"{worker.worker_id}: draining until {worker.drain_deadline:%Y-%m-%d %H:%M:%S}Z; "
                          f"{len(worker.running)} running")

    def do_resume(self, worker_id, **options):
        self.stdout.write(f"{services.resume(worker_id, by=principal()).worker_id}: online")
