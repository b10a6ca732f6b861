from django.conf import settings

from accounts_app.services import provision_config_keys, provision_local_admin, rotate_named_key
from scheduler_project.commandline.command import OperatorCommand


class Command(OperatorCommand):
    help = "First-run set-up for `make run`: an admin user and a fresh Admin API key, printed once."

    def handle(self, *args, **options):
        host, port = settings.TP.api.bind_address.rsplit(":", 1)
        base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        password = provision_local_admin()
        key = rotate_named_key("make-run", ["Admin"])
        provisioned = provision_config_keys(settings.TP.api.auth.api_keys)
        out = self.stdout.write
        out("")
        out(f"  Taskplane at {base}   (health: {base}/health)")
        if password:
            out(f"  Admin:   {base}/admin/   user admin, password {password}   (shown once)")
        else:
            out(f"  Admin:   {base}/admin/   user admin (password from the first run; "
                "reset it with `.venv/bin/python manage.py changepassword admin`)")
        out(f"  API key: {key}   (Admin role, shown once; header X-API-Key)")
        if settings.TP.api.auth.api_keys:
            out(f"  API_KEYS: {len(settings.TP.api.auth.api_keys)} configured key(s) provisioned"
                f"{', revoked: ' + ', '.join(provisioned.revoked) if provisioned.revoked else ''}")
        out(f"  API:     {base}/api/v1/   (docs: {base}/api/v1/docs/)")
        out("  Stop:    Ctrl-C (stops every process)")
        out("")
