from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import CommandError

from scheduler_project.commandline import grammar, render
from scheduler_project.commandline.command import OperatorCommand, principal
from scheduler_project.commandline.follow import Follower, FollowTimeout, follow
from scheduler_project.errors import EngineError
from tasks_app.api.serializers import RunDetailSerializer, RunSerializer
from tasks_app.services import cancelling, definitions, following, queries


class Command(OperatorCommand):
    help = ("Runs: `runs list [--task T] [--status S]... [--trigger X] [--worker W] [--since 2h] [--limit N]`, "
            "`runs show ID`, `runs logs ID [--follow]`, `runs cancel ID`, `runs replay ID [--param k=v]`.")

    def add_arguments(self, parser):
        grammar.runs(parser)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except (ObjectDoesNotExist, EngineError, queries.InvalidFilter) as exc:
            raise CommandError(str(exc)) from None

    def do_list(self, task=None, status=None, trigger=None, worker=None, created_after=None, created_before=None,
                scheduled_after=None, scheduled_before=None, limit=50, json=False, **options):
        if worker:
            queries.check_worker(worker)
        filters = {
            "task": queries.find_task(task).pk if task else None, "status": status or [], "trigger": trigger,
            "worker": worker, "created_after": grammar.moment(created_after),
            "created_before": grammar.moment(created_before), "scheduled_after": grammar.moment(scheduled_after),
            "scheduled_before": grammar.moment(scheduled_before),
        }
        runs = RunSerializer(queries.list_runs(filters, limit), many=True).data
        self.print_json(runs) if json else self.stdout.write(render.runs_table(runs))

    def do_show(self, run, json=False, **options):
        data = RunDetailSerializer(queries.find_run(run)).data
        self.print_json(data) if json else self.stdout.write(render.run_detail(data))

    def do_logs(self, run, follow=False, timeout=86400, json=False, **options):
        follower = Follower(run, self.stdout, self.stderr, as_json=json)
        fetch = lambda: RunDetailSerializer(queries.find_run(run)).data  # noqa: E731
        if not follow:
            follower.finish(fetch())
            return
        queries.find_run(run, detail=False)  # an unknown run is an error before anything is opened
        try:
            final = _follow(following.live_events(run_id=run), fetch, follower, timeout)
        except FollowTimeout as exc:
            raise CommandError(str(exc)) from None
        if not json:
            self.stderr.write(render.run_summary(final))

    def do_cancel(self, run, **options):
        cancelled = cancelling.request_cancel(queries.find_run(run, detail=False).pk, by=principal())
        if cancelled.status == "cancelled":
            self.stdout.write(f"run {cancelled.pk}: cancelled")
        else:
            self.stdout.write(f"run {cancelled.pk}: cancel requested; its worker {cancelled.worker or '?'} "
                              "is stopping it (the request is repeated until it took effect)")

    def do_replay(self, run, param=None, **options):
        new = definitions.replay(queries.find_run(run, detail=False), grammar.params(param), by=principal())
        self.stdout.write(f"run {run} replayed as run {new.pk}: {new.status}")


def _follow(events, fetch, follower, timeout):
    return follow(events, fetch, following.is_final, follower, timeout=timeout)
