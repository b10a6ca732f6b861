from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import CommandError
from django.utils import timezone

from instances_app import all_deadletters as letters
from instances_app.api.deadletters import as_api
from instances_app.api.serializers import InboxDeadLetterSerializer
from scheduler_project.commandline import grammar, render
from scheduler_project.commandline.command import OperatorCommand, principal
from scheduler_project.durations import parse_cutoff
from scheduler_project.errors import EngineError
from tasks_app.api.serializers import DeadLetterSerializer
from tasks_app.models import Run
from tasks_app.services import queries


class Command(OperatorCommand):
    help = ("Dead letters, dead runs (run-<id>) and inbox dead letters (inbox-<instance>-<entry>) together: "
            "`deadletters list`, `show ID`, `replay ID [--param k=v]`, `purge [IDS] [--instance I] [--older-than 30d] "
            "[--task T] [--all]`. `dlq` is the same command under its former name.")

    def add_arguments(self, parser):
        grammar.deadletters(parser)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except (ObjectDoesNotExist, EngineError) as exc:
            raise CommandError(str(exc)) from None

    def do_list(self, source=None, task=None, instance=None, limit=50, json=False, **options):
        task_id = queries.find_task(task).pk if task else None
        if task_id is not None and source == "inbox" or instance and source == "run":
            raise CommandError("--task selects dead runs and --instance inbox letters: not with --source "
                               f"{source}")
        runs = [] if source == "inbox" or (instance and not task_id) else letters.list_runs(task_id, limit)
        inbox = [] if source == "run" or (task_id and not instance) else letters.list_inbox(instance, limit)
        found = render.merge_letters(DeadLetterSerializer(runs, many=True).data,
                                     InboxDeadLetterSerializer([as_api(d) for d in inbox], many=True).data, limit=limit)
        self.print_json(found) if json else self.stdout.write(render.letters_table(found))

    def do_show(self, letter, instance=None, json=False, **options):
        # Shown as JSON: a letter's history and body are nested data.
        found = letters.get(letters.parse(letter, instance))
        self.print_json(DeadLetterSerializer(found).data if isinstance(found, Run)
                        else InboxDeadLetterSerializer(as_api(found)).data)

    def do_replay(self, letter, instance=None, param=None, **options):
        ref = letters.parse(letter, instance)
        replayed = letters.replay(ref, grammar.params(param), by=principal())
        if isinstance(replayed, Run):
            self.stdout.write(f"replayed {ref} as run {replayed.pk}: {replayed.status}")
        else:
            self.stdout.write(f"replayed {ref.entry_id} into the inbox of {ref.instance_id} as {replayed}")

    def do_purge(self, letters_=None, instance=None, source=None, older_than=None, task=None, all=False, **options):
        refs = [letters.parse(ref, instance) for ref in options.get("letters") or []]
        cutoff = None
        if older_than is not None:
            try:
                cutoff = parse_cutoff(older_than, timezone.now())
            except ValueError as exc:
                raise CommandError(f"--older-than: {exc}") from None
        task_id = queries.find_task(task).pk if task else None
        done = letters.purge(refs, source=source, instance=None if refs else instance, older_than=cutoff,
                             task_id=task_id, everything=all)
        parts = []
        if done.runs or not done.inbox:
            parts.append(f"{done.runs} dead run(s)")
        parts += [f"{n} dead letter(s) of {i}" for i, n in sorted(done.inbox.items())]
        self.stdout.write(f"purged {', '.join(parts)}")
