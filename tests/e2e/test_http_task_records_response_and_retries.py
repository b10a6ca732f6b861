"""An HTTP task against a local server records status and body; an unexpected status fails
it, and it is retried with backoff until dead."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def http_server():
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            status = 500 if self.path.startswith("/broken") else 200
            body = b'{"ok": true}' if status == 200 else b"boom"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_http_task_records_status_and_body(platform, http_server):
    base, hits = http_server
    platform.start("control")
    platform.start("worker")
    task = Task.objects.create(name="ping", type="http", spec={"url": f"{base}/ok", "method": "GET"})
    run = platform.wait_run(definitions.trigger(task, params={"q": "1"}).pk, {"succeeded", "failed", "dead"})
    assert run.status == "succeeded"
    assert run.http_status == 200
    assert run.stdout == '{"ok": true}'
    assert run.response_headers["Content-Type"] == "application/json"
    assert hits == ["/ok?q=1"]


def test_unexpected_status_fails_and_retries_with_backoff(platform, http_server):
    base, hits = http_server
    platform.start("control")
    platform.start("dispatcher")  # the sweep dispatches due retries
    platform.start("worker")
    task = Task.objects.create(
        name="broken", type="http", spec={"url": f"{base}/broken", "expected_statuses": [200]},
        max_retries=2, retry_delay_seconds=1, retry_backoff=2, retry_jitter=False,
    )
    run = platform.wait_run(definitions.trigger(task).pk, {"dead", "succeeded"}, timeout=60)
    assert run.status == "dead"
    assert run.http_status == 500 and "unexpected HTTP status 500" in run.error
    # `started` may be applied after `finished` (control handles events concurrently): wait for it.
    attempts = wait_for(
        lambda: (a := list(run.attempts.order_by("attempt"))) and all(x.started_at for x in a) and len(a) == 3 and a,
        10, "every attempt's start time",
    )
    assert [a.status for a in attempts] == ["failed", "failed", "failed"]
    gaps = [(b.started_at - a.finished_at).total_seconds() for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 1 and gaps[1] >= 2  # 1 s, then 2 s: exponential backoff
    assert len(hits) == 3
