"""nginx and HAProxy, run for real on 127.0.0.1 with the shipped configs in front of a stand-in
api: /health is passed through, and on both event routes a Server-Sent Events response reaches the
client event by event (the first one at once, not when the stream ends) and survives a quiet gap
between events (the proxies' read timeouts are long enough)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.deploy import test_haproxy_config_is_valid as hap
from tests.deploy import test_nginx_config_is_valid as ngx
from tests.deploy._tools import free_port, require_tool

HOLD_SECONDS = 2.5  # the stand-in api is quiet this long between the two events


class StandInApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, body: bytes, content_type: str = "application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/events"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for index, event in enumerate((b"data: first\n\n", b"data: second\n\n")):
                    if index:
                        time.sleep(HOLD_SECONDS)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client (or the proxy) hung up: expected
        elif self.path == "/health":
            self._send(b'{"status": "ok"}')
        else:
            self._send(b"{}")


@contextmanager
def stand_in_api():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), StandInApi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running(argv: list[str], port: int, log):
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{argv[0]} did not listen on {port}: {proc.poll()=}")
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def get(port: int, path: str, until: bytes, timeout: float = 10) -> tuple[bytes, float]:
    """Send GET path; return what arrived once `until` is seen, and how long that took."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: scheduler.example.com\r\nAccept: text/event-stream\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while until not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data, time.monotonic() - start


def assert_streams(port: int):
    data, _ = get(port, "/health", b'"ok"')
    assert b" 200 " in data.split(b"\r\n", 1)[0] and b'"ok"' in data
    for path in ("/api/v1/runs/42/events", "/api/v1/events"):
        data, elapsed = get(port, path, b"data: first")
        assert b"data: first" in data, data
        assert elapsed < HOLD_SECONDS - 0.5, f"{path}: the first event was held back {elapsed:.1f}s (buffered)"
        data, elapsed = get(port, path, b"data: second")
        assert b"data: second" in data, f"{path}: the stream was cut during a quiet gap: {data!r}"


def run_nginx(tmp_path, conf_text: str):
    nginx = require_tool("nginx")
    port = free_port()
    with stand_in_api() as api_port:
        main = ngx.wrapper(tmp_path, ngx.runnable_conf(conf_text, api_port, listen_port=port))
        with open(tmp_path / "nginx.out", "w") as log, running(
            [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)], port, log
        ):
            assert_streams(port)


def run_haproxy(tmp_path, cfg_text: str):
    haproxy = require_tool("haproxy")
    port = free_port()
    with stand_in_api() as api_port:
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(hap.runnable_cfg(cfg_text, api_port, bind_port=port))
        with open(tmp_path / "haproxy.out", "w") as log, running([haproxy, "-db", "-f", str(cfg)], port, log):
            assert_streams(port)


def test_nginx_streams_events(tmp_path):
    run_nginx(tmp_path, ngx.CONF.read_text())


def test_haproxy_streams_events(tmp_path):
    run_haproxy(tmp_path, hap.CFG.read_text())


def test_a_short_nginx_read_timeout_is_caught(tmp_path):
    conf = ngx.CONF.read_text().replace("proxy_read_timeout 1h;", "proxy_read_timeout 1s;")
    with pytest.raises(AssertionError, match="cut during a quiet gap"):
        run_nginx(tmp_path, conf)


def test_a_short_haproxy_server_timeout_is_caught(tmp_path):
    cfg = hap.CFG.read_text().replace("timeout server 1h", "timeout server 1s")
    with pytest.raises(AssertionError, match="cut during a quiet gap"):
        run_haproxy(tmp_path, cfg)
