"""What the notification tests share: concluding runs through the engine's own path, a webhook
receiver (a local HTTP server) and an SMTP server started by the test."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run
from tasks_app.services import events
from tests import factories
from tests.services import free_port


def start_roles(platform, *modes: str) -> None:
    """Start these roles; the worker with an id of this platform's own (the Celery node name, and
    so its RabbitMQ pidbox queue, must not collide with another test's worker on the broker)."""
    for mode in modes:
        extra = ("--worker-id", f"w-{platform.uid}") if mode == "worker" else ()
        platform.start(mode, *extra)


def configure(platform, **values) -> None:
    """Set keys of the platform's [notifications] table (before its processes start)."""
    text = platform.config_file.read_text()
    start = text.index("[notifications]\n")
    end = text.index("\n[", start + 1)
    lines = [line for line in text[start:end].splitlines()
             if line.split("=", 1)[0].strip() not in values]
    for key, value in values.items():
        shown = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
        lines.append(f"{key} = {shown}")
    platform.config_file.write_text(text[:start] + "\n".join(lines) + "\n" + text[end:])
    platform.reconfigure()


def conclude(task, outcome: str, attempt: int = 1, **details) -> Run:
    """A run of `task` whose attempt ends with `outcome`, through the engine's conclude_attempt
    (as the control role applies a worker's `finished`)."""
    run = factories.run(task, states.RUNNING, attempt=attempt, fence=f"f{attempt}", worker="w1",
                        started_at=timezone.now())
    events.conclude_attempt(run.pk, attempt, run.fence, outcome, details, timezone.now(), worker="w1")
    run.refresh_from_db()
    return run


class Receiver:
    """A webhook target on 127.0.0.1: records every request (headers, body), answers `status`
    (settable), can hold requests (`hold`) until released, and can be stopped and restarted on
    the same port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.hold = threading.Event()
        self.hold.set()  # set: answer at once
        self.lock = threading.Lock()
        self.server = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                entry = {"headers": dict(self.headers), "raw": raw, "at": time.time(), "answered": None}
                with receiver.lock:
                    receiver.requests.append(entry)
                receiver.hold.wait(120)
                if entry.get("abandoned"):
                    return  # its sender died meanwhile: nobody to answer
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    entry["answered"] = status
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def abandon(self) -> None:
        """Release the requests held now without answering them (their sender was killed)."""
        with self.lock:
            for entry in self.requests:
                if entry["answered"] is None:
                    entry["abandoned"] = True
        self.hold.set()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ids(self, answered_only: bool = True) -> list[int]:
        return [b["id"] for b in (self.delivered() if answered_only else self.bodies())]

    def bodies(self, answered: int | None = None) -> list[dict]:
        with self.lock:
            found = list(self.requests)
        return [json.loads(r["raw"]) for r in found if answered is None or r["answered"] == answered]

    def delivered(self) -> list[dict]:
        """Bodies of the requests answered 2xx: what counts as delivered."""
        with self.lock:
            found = list(self.requests)
        return [json.loads(r["raw"]) for r in found if r["answered"] and 200 <= r["answered"] < 300]


def signature_valid(request: dict, secret: str) -> bool:
    """How a receiver checks X-Taskplane-Signature (README "Notifications")."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = hmac.new(secret.encode(), headers["x-taskplane-timestamp"].encode() + b"." + request["raw"],
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("x-taskplane-signature", ""), f"sha256={expected}")
