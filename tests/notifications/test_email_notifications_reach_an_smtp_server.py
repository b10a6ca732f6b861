"""E-mail channels through Django's mail framework to a real SMTP server the test starts
(aiosmtpd, with AUTH): the password comes from ${SMTP_PASSWORD} in [notifications]; a failing
run's message names the task, the run, its exit code and its last output lines. While the SMTP
server is down the notification is retried, then delivered once it is back."""

import email
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications_app.models import Channel, Notification, Rule
from tasks_app.models import Task
from tasks_app.services import definitions
from tests.notifications.helpers import start_roles
from tests.services import free_port
from tests.support.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]
PASSWORD = "smtp-pass-from-env"


class Inbox:
    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None, ok))
        return AuthResult(success=ok)


def smtp_server(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    return controller


def test_a_failure_is_mailed_through_smtp(platform):
    port = free_port()
    platform.env["SMTP_PASSWORD"] = PASSWORD
    platform.reconfigure({"retry_backoff_max_seconds = 4": f"""retry_backoff_max_seconds = 4
smtp_host = "127.0.0.1"
smtp_port = {port}
smtp_username = "taskplane"
smtp_password = "${{SMTP_PASSWORD}}"
email_from = "taskplane@example.com"
"""})
    inbox = Inbox()
    task = Task.objects.create(name="backup", type="shell", max_retries=0,
                               spec={"command": "for i in $(seq 1 25); do echo line $i; done; exit 4"})
    channel = Channel.objects.create(name="mail", type="email", to=["ops@example.com", "dba@example.com"])
    Rule.objects.create(channel=channel, task=task, events=["failed"])
    platform.start("control")
    start_roles(platform, "worker")
    platform.start("dispatcher")

    # The SMTP server is down for the first attempts: the notification waits and is retried.
    run = platform.wait_run(definitions.trigger(task).pk, "failed", timeout=60)
    notification = wait_for(lambda: Notification.objects.filter(run_id=run.pk, attempts__gte=2).first(), 60,
                            "two failed attempts while the SMTP server is down")
    assert notification.status in ("pending", "sending")  # waiting for its next attempt, or in it
    assert notification.delivery_attempts.filter(ok=False, error__startswith="SMTP failed").exists()
    server = smtp_server(inbox, port)
    try:
        wait_for(lambda: inbox.messages, 60, "the e-mail")
        time.sleep(3)
        (rcpts, message), = inbox.messages
        assert sorted(rcpts) == ["dba@example.com", "ops@example.com"]
        assert message["Subject"] == "[Taskplane] backup failed"
        assert message["From"] == "taskplane@example.com"
        assert message["X-Taskplane-Event"] == "failed"
        text = message.get_content()
        assert f"Run: {run.pk}, attempt 1, failed" in text and "Exit code: 4" in text
        assert "line 6" in text and "line 25" in text and "line 5\n" not in text  # the last 20 lines
        assert f"/api/v1/runs/{run.pk}/" in text
        assert inbox.logins == [("taskplane", True)]
        delivered = Notification.objects.get(run_id=run.pk)
        assert delivered.status == "delivered" and delivered.response_code == 250
        attempts = list(delivered.delivery_attempts.values_list("ok", flat=True))
        assert attempts[-1] is True and attempts.count(False) >= 2
    finally:
        server.stop()
