"""Sending one notification over its channel: a webhook POST (requests) or an e-mail (Django's
mail framework over SMTP). Returns an Outcome; never raises for the target's failures."""

from __future__ import annotations

import smtplib
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications_app import messages
from notifications_app.targets import TargetRefused, check_resolved, policy
from scheduler_project import outbound
from scheduler_project.version import __version__

RETRYABLE_STATUSES = frozenset({408, 425, 429})
MAX_ERROR = 1000


@dataclass
class Outcome:
    ok: bool
    response_code: int | None = None
    error: str = ""
    permanent: bool = False  # retrying cannot help (a 4xx, a refused target): given up at once
    duration_ms: int = 0


def send(channel, notification) -> Outcome:
    started = time.monotonic()
    try:
        if channel.type == "webhook":
            outcome = send_webhook(channel, notification)
        elif channel.type == "email":
            outcome = send_email(channel, notification)
        else:
            outcome = Outcome(False, error=f"unknown channel type {channel.type!r}", permanent=True)
    except Exception as exc:  # noqa: BLE001  a bug here must be recorded, not lose the notification
        outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}")
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    outcome.error = outcome.error[:MAX_ERROR]
    return outcome


def webhook_request(channel, notification, now: float | None = None) -> tuple[bytes, dict]:
    """The body and headers of a webhook delivery (the signature over both the time and the body)."""
    raw = messages.encode(messages.webhook_body(notification.payload, notification.pk, channel.format))
    timestamp = str(int(now if now is not None else time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Taskplane/{__version__}",
        "X-Taskplane-Event": notification.event,
        "X-Taskplane-Delivery": str(notification.pk),
        "X-Taskplane-Timestamp": timestamp,
    }
    if channel.secret:
        headers["X-Taskplane-Signature"] = messages.signature(channel.secret, timestamp, raw)
    return raw, headers


def send_webhook(channel, notification) -> Outcome:
    try:
        check_resolved(channel.url)
    except TargetRefused as exc:
        return Outcome(False, error=f"refused: {exc}", permanent=True)
    raw, headers = webhook_request(channel, notification)
    timeout = settings.TP.notifications.timeout_seconds
    try:
        # No redirects: a 3xx could point anywhere, the metadata service included.
        with _session().post(channel.url, data=raw, headers=headers, timeout=(timeout, timeout),
                             allow_redirects=False, stream=True) as response:
            code = response.status_code
            if 200 <= code < 300:
                return Outcome(True, code)
            detail = _excerpt(response)
    except TargetRefused as exc:  # at connect time: the name resolved elsewhere since the check
        return Outcome(False, error=f"refused: {exc}", permanent=True)
    except requests.Timeout as exc:
        return Outcome(False, error=f"timed out after {timeout:g}s: {_scrub(str(exc), channel.url)}")
    except requests.RequestException as exc:
        return Outcome(False, error=f"request failed: {_scrub(str(exc), channel.url)}")
    permanent = 300 <= code < 500 and code not in RETRYABLE_STATUSES
    what = "redirect not followed" if 300 <= code < 400 else "HTTP error"
    return Outcome(False, code, error=f"{what} {code}{': ' + detail if detail else ''}", permanent=permanent)


_local = threading.local()


def _session() -> requests.Session:
    """One session per delivery thread: connections to a target are kept alive between messages
    (a burst of notifications to one webhook is one TCP connection, not one each)."""
    current = policy()
    session, used = getattr(_local, "session", None), getattr(_local, "policy", None)
    if session is None or used != current:  # the policy changed (settings): a session of its own
        session = _local.session = outbound.session(current)
        _local.policy = current
    return session


def _scrub(text: str, url: str) -> str:
    """An error without the URL's path and query: a Slack or Teams webhook URL's path is its key."""
    parts = urlsplit(url)
    for secret in (parts.path + ("?" + parts.query if parts.query else ""), parts.path, parts.query):
        if secret and secret != "/":
            text = text.replace(secret, "/[redacted]")
    return text


def _excerpt(response) -> str:
    try:
        return response.raw.read(300, decode_content=True).decode(errors="replace").strip()
    except Exception:  # noqa: BLE001
        return ""


def send_email(channel, notification) -> Outcome:
    n = settings.TP.notifications
    if not n.smtp_host:
        return Outcome(False, error="no SMTP server configured ([notifications] smtp_host)", permanent=True)
    payload = notification.payload
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host=n.smtp_host, port=n.smtp_port,
        username=n.smtp_username or None, password=n.smtp_password or None, use_tls=n.smtp_use_tls,
        use_ssl=n.smtp_use_ssl, timeout=n.timeout_seconds, fail_silently=False,
    )
    message = EmailMessage(
        subject=f"[Taskplane] {payload['title']}"[:200], body=messages.email_text(payload), from_email=n.email_from,
        to=list(channel.to), connection=connection,
        headers={"X-Taskplane-Event": notification.event, "X-Taskplane-Delivery": str(notification.pk)},
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, error=f"recipients refused: {exc.recipients}", permanent=True)
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, exc.smtp_code, error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                       permanent=500 <= exc.smtp_code < 600)  # 5xx: permanent (RFC 5321)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, error=f"SMTP failed: {type(exc).__name__}: {exc}")
    return Outcome(True, 250)
