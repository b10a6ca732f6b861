"""Helpers for the executor tests: real processes, a real local HTTP server, deadlines."""

from __future__ import annotations

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.http_policy import allow_http_to
from tests.support.processes import processes_with
from workers_app.executors.execution_registry import ExecutionRegistry


@pytest.fixture
def sleep_marker():
    """A `sleep N` command line no other test (or other test run) uses; killed at teardown."""
    seconds = random.randint(100_000, 999_999)
    yield seconds
    for proc in processes_with(f"sleep {seconds}"):  # only if a test failed: do not leak sleepers
        proc.kill()


@pytest.fixture
def registry(tmp_path):
    return ExecutionRegistry(tmp_path / "executions")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the executor stops reading at its byte cap and hangs up: expected, not an error

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/ok":
            self._reply(200, b"hello from the server", {"X-Test": "yes", "Content-Type": "text/plain"})
        elif path.startswith("/status/"):
            self._reply(int(path.rsplit("/", 1)[1]), b"status body")
        elif path == "/redirect":  # to the URL given as the query
            self._reply(302, b"", {"Location": query})
        elif path == "/big":
            self._reply(200, b"x" * int(query))
        elif path == "/slow-headers":
            time.sleep(3)
            self._reply(200, b"late")
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"first part ")
            self.wfile.flush()
            time.sleep(3)
        else:
            self._reply(404, b"not found")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        echo = {"method": "POST", "content_type": self.headers.get("Content-Type"), "body": body.decode()}
        self._reply(201, json.dumps(echo).encode(), {"Content-Type": "application/json"})

    do_PUT = do_POST


@pytest.fixture
def http_server(monkeypatch, settings):
    """Base URL of a real HTTP server on 127.0.0.1 with a free port, in a thread. The worker's
    HTTP target policy denies loopback by default: these tests allow 127.0.0.1 explicitly."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a CI proxy must not intercept it
    allow_http_to(settings, "127.0.0.1/32")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)
