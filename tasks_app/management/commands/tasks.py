import sys

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import CommandError

from scheduler_project.commandline import grammar, render
from scheduler_project.commandline.command import OperatorCommand, principal
from scheduler_project.commandline.follow import Follower, FollowTimeout, follow
from scheduler_project.errors import EngineError
from tasks_app.api.serializers import RunDetailSerializer, TaskSerializer
from tasks_app.models import Run, Task
from tasks_app.services import definitions, following, queries


class Command(OperatorCommand):
    help = ("Task definitions: `tasks list`, `tasks show T`, `tasks trigger T [--param k=v] [--wait]`, "
            "`tasks pause T`, `tasks resume T` (T: a task name or id).")

    def add_arguments(self, parser):
        grammar.tasks(parser)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except (ObjectDoesNotExist, EngineError) as exc:
            raise CommandError(str(exc)) from None

    def do_list(self, json=False, **options):
        tasks = TaskSerializer(Task.objects.order_by("name"), many=True).data
        self.print_json(tasks) if json else self.stdout.write(render.tasks_table(tasks))

    def do_show(self, task, json=False, **options):
        data = TaskSerializer(queries.find_task(task)).data
        self.print_json(data) if json else self.stdout.write(render.task_detail(data))

    def do_pause(self, task, **options):
        self._set_enabled(task, False)

    def do_resume(self, task, **options):
        self._set_enabled(task, True)

    def _set_enabled(self, ref, enabled: bool):
        task = queries.find_task(ref)
        changed = definitions.set_enabled(task, enabled)
        state = "resumed (schedule enabled)" if enabled else "paused (schedule disabled)"
        self.stdout.write(f"task {task.name}: {state}" if changed else f"task {task.name}: already {state.split()[0]}")

    def do_trigger(self, task, param=None, wait=False, timeout=3600, json=False, **options):
        task = queries.find_task(task)
        # --wait opens the task's live stream before the run exists, so its first line is not missed.
        events = following.live_events(task_id=task.pk) if wait else None
        if events is not None:
            next(events, None)
        try:
            run = definitions.trigger(task, params=grammar.params(param), by=principal(), trigger=Run.Trigger.MANUAL)
        except BaseException:
            if events is not None:
                events.close()
            raise
        if not wait:
            if json:
                self.print_json(RunDetailSerializer(queries.find_run(run.pk)).data)
            else:
                self.stdout.write(f"run {run.pk} of {task.name}: {run.status}")
            return
        self.stderr.write(f"--- run {run.pk} of {task.name} triggered; waiting until it is final")
        follower = Follower(run.pk, self.stdout, self.stderr, as_json=json)
        try:
            final = follow(events, lambda: RunDetailSerializer(queries.find_run(run.pk)).data, following.is_final,
                           follower, timeout=timeout, started=True)
        except FollowTimeout as exc:
            raise CommandError(str(exc)) from None
        if not json:
            self.stderr.write(render.run_summary(final))
        if final["status"] != "succeeded":
            sys.exit(1)
