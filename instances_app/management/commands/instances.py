from django.core.management.base import BaseCommand

from instances_app import instance_commands, presence
from scheduler_project.tables import render


class Command(BaseCommand):
    help = "Control-plane instances: `instances list`, `instances stepdown ID`, `instances reload-config [ID]`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="live instances, from their presence keys")
        stepdown = sub.add_parser("stepdown", help="make the instance give up the leader lease (rolling restarts)")
        stepdown.add_argument("instance_id")
        reload = sub.add_parser("reload-config", help="re-read the configuration (every instance without an id)")
        reload.add_argument("instance_id", nargs="?")

    def handle(self, *args, action, **options):
        if action == "list":
            rows = [[i["instance_id"], "yes" if i["leader"] else "", ",".join(i["roles"]), i["started_at"] or "",
                     i["version"], "" if i["inbox_pending"] is None else i["inbox_pending"]]
                    for i in presence.live_instances()]
            headers = ["INSTANCE", "LEADER", "ROLES", "STARTED", "VERSION", "INBOX PENDING"]
            self.stdout.write(render(headers, rows) if rows else "no live instance")
        elif action == "stepdown":
            instance_commands.send("stepdown", options["instance_id"])
            self.stdout.write(f"step-down sent to {options['instance_id']}")
        else:
            targets = instance_commands.send("reload_config", options.get("instance_id"))
            self.stdout.write(f"config reload sent to {', '.join(targets) or 'no live instance'}")
