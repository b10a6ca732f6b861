from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import CommandError

from instances_app import instance_commands, presence
from instances_app.api.serializers import InstanceSerializer
from scheduler_project.commandline import grammar, render
from scheduler_project.commandline.command import OperatorCommand


class Command(OperatorCommand):
    help = "Control-plane instances: `instances list`, `instances stepdown ID`, `instances reload-config [ID]`."

    def add_arguments(self, parser):
        grammar.instances(parser)

    def handle(self, *args, action, **options):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**options)
        except ObjectDoesNotExist as exc:
            raise CommandError(str(exc)) from None

    def do_list(self, json=False, **options):
        instances = InstanceSerializer(presence.live_instances(), many=True).data
        self.print_json(instances) if json else self.stdout.write(render.instances_table(instances))

    def do_stepdown(self, instance_id, **options):
        instance_commands.send("stepdown", instance_id)
        self.stdout.write(f"step-down sent to {instance_id}")

    def do_reload_config(self, instance_id=None, **options):
        targets = instance_commands.send("reload_config", instance_id)
        self.stdout.write(f"config reload sent to {', '.join(targets) or 'no live instance'}")
