"""`manage.py flower`: Flower on the platform's broker, never without authentication.

Credentials come from FLOWER_BASIC_AUTH ("user:password", several separated by commas)
and reach Flower through its environment, not its command line, so they do not show in
`ps`. Flower reads every FLOWER_* variable as one of its options and stops on one it does
not know (FLOWER_USER / FLOWER_PASSWORD of deploy/.env, say): those are left out.
"""

import os
import sys

from django.core.management.base import CommandError

from scheduler_project.commandline.command import OperatorCommand

MIN_PASSWORD = 8


def parse_credentials(value: str) -> list[str]:
    pairs = [pair.strip() for pair in value.split(",") if pair.strip()]
    if not pairs:
        raise ValueError("FLOWER_BASIC_AUTH is not set: refusing to start Flower without authentication "
                         "(export FLOWER_BASIC_AUTH=user:password)")
    for pair in pairs:
        user, sep, password = pair.partition(":")
        if not (sep and user and password):
            raise ValueError("FLOWER_BASIC_AUTH must be user:password (several separated by commas)")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"the Flower password of {user!r} is shorter than {MIN_PASSWORD} characters")
    return pairs


def flower_environment(env: dict) -> dict:
    try:
        from flower.options import options
    except ImportError:  # kept out of requirements/base.txt and of the image of every role
        raise CommandError("Flower is not installed: pip install -r requirements/flower.txt "
                           "(or pip install 'taskplane[flower]'; the image's `flower` target has it)") from None

    known = {name.replace("-", "_") for name in options.as_dict()}
    return {k: v for k, v in env.items()
            if not k.startswith("FLOWER_") or k[len("FLOWER_"):].lower().replace("-", "_") in known}


class Command(OperatorCommand):
    help = "Start Flower (Celery monitoring) on the platform's broker behind basic auth from FLOWER_BASIC_AUTH."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=5555, help="port (default 5555)")

    def handle(self, *args, address, port, **options):
        try:
            pairs = parse_credentials(os.environ.get("FLOWER_BASIC_AUTH", ""))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        env = flower_environment({**os.environ, "FLOWER_BASIC_AUTH": ",".join(pairs), "TASKPLANE_ROLE": "flower"})
        argv = [sys.executable, "-m", "celery", "-A", "scheduler_project", "flower",
                f"--address={address}", f"--port={port}"]
        users = ", ".join(pair.split(":")[0] for pair in pairs)
        self.stdout.write(f"Flower on http://{address}:{port}/ (basic auth: {users})")
        sys.stdout.flush()
        os.execve(argv[0], argv, env)
