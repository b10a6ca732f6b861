"""`dlq`: the former name of `deadletters` (dead runs and inbox dead letters), kept as an alias."""

from instances_app.management.commands.deadletters import Command as DeadLettersCommand


class Command(DeadLettersCommand):
    help = "The former name of `deadletters`: " + DeadLettersCommand.help
