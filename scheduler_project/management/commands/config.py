import sys

from scheduler_project.commandline.command import OperatorCommand
from scheduler_project.config.cli import main


class Command(OperatorCommand):
    help = "Configuration tools: `config validate [--file F]`."

    def run_from_argv(self, argv):
        # argv: [manage.py, config, ...]; the parser lives in scheduler_project.config.cli.
        sys.exit(main(argv[2:]))

    def handle(self, *args, **options):  # call_command("config", "validate", ...)
        code = main(list(args), stdout=self.stdout, stderr=self.stderr)
        if code:
            sys.exit(code)

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")
