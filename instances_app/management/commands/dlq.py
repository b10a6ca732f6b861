import json

from django.core.management.base import BaseCommand, CommandError

from instances_app import deadletters
from scheduler_project.tables import render


class Command(BaseCommand):
    help = "Dead letters of the instance inboxes: `dlq list`, `dlq show`, `dlq replay`, `dlq purge`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="the dead letters, newest first")
        listing.add_argument("--instance")
        listing.add_argument("--count", type=int, default=50)
        for name, text in (("show", "one letter with its history"), ("replay", "deliver a letter again")):
            one = sub.add_parser(name, help=text)
            one.add_argument("entry_id")
            one.add_argument("--instance", required=True)
        purge = sub.add_parser("purge", help="delete letters (all of the instance's without ids)")
        purge.add_argument("entry_ids", nargs="*")
        purge.add_argument("--instance", required=True)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except deadletters.UnknownDeadLetter as exc:
            raise CommandError(str(exc)) from None

    def do_list(self, instance=None, count=50, **options):
        letters = deadletters.list_letters(instance, count)
        rows = [[d["instance_id"], d["id"], d["type"], d["deliveries"], d["moved_at"], d["reason"][:60]]
                for d in letters]
        self.stdout.write(render(["INSTANCE", "ID", "TYPE", "DELIVERIES", "MOVED AT", "REASON"], rows)
                          if rows else "no dead letters")

    def do_show(self, entry_id, instance, **options):
        self.stdout.write(json.dumps(deadletters.get(instance, entry_id), indent=2))

    def do_replay(self, entry_id, instance, **options):
        self.stdout.write(f"replayed {entry_id} into the inbox of {instance} as {deadletters.replay(instance, entry_id)}")

    def do_purge(self, instance, entry_ids=(), **options):
        self.stdout.write(f"purged {deadletters.purge(instance, list(entry_ids) or None)} dead letter(s) of {instance}")
