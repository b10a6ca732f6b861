from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from accounts_app.models import ROLES, APIKey
from accounts_app.services import create_api_key
from scheduler_project.commandline.command import OperatorCommand


class Command(OperatorCommand):
    help = "Create an API key and print it once (it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles")
        parser.add_argument("--expires-days", type=float, help="the key stops working after this many days")

    def handle(self, *args, name, roles, expires_days, **options):
        if not name.strip():
            raise CommandError("--name must not be empty")
        if expires_days is not None and expires_days <= 0:
            raise CommandError("--expires-days must be positive")
        expiry = timezone.now() + timedelta(days=expires_days) if expires_days else None
        key, clear = create_api_key(name, roles, expiry, source=APIKey.Source.COMMAND, created_by="createapikey")
        self.stdout.write(f"API key {key.name!r} ({', '.join(key.roles)}), shown once:")
        self.stdout.write(clear)
