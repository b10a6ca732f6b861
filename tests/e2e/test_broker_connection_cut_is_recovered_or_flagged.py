"""A worker whose broker connection is cut from the server side (`rabbitmqctl
close_connection`, or Redis `CLIENT KILL`) either consumes again or is flagged unhealthy:
never silently idle."""

import subprocess
from urllib.parse import urlsplit

import psutil
import pytest
import redis

from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.support.processes import wait_for
from workers_app.models import Worker

pytestmark = pytest.mark.e2e


def client_ports(process, broker_port: int) -> set[int]:
    """Local ports of the TCP connections the process tree holds to the broker."""
    ports = set()
    for proc in [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]:
        for conn in proc.net_connections(kind="tcp"):
            if conn.raddr and conn.raddr.port == broker_port:
                ports.add(conn.laddr.port)
    return ports


def cut(broker_url: str, ports: set[int]) -> int:
    parts = urlsplit(broker_url)
    if parts.scheme.startswith("amqp"):
        listing = subprocess.run(
            ["rabbitmqctl", "-q", "list_connections", "pid", "peer_port"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        closed = 0
        for line in listing.splitlines():
            pid, _, port = line.rpartition("\t")
            if port.strip().isdigit() and int(port) in ports:
                # A short-lived connection (a publish) may be gone already: that one is not counted.
                done = subprocess.run(["rabbitmqctl", "close_connection", pid, "test: cut"], timeout=60,
                                      capture_output=True)
                closed += done.returncode == 0
        return closed
    r = redis.Redis(host=parts.hostname, port=parts.port or 6379)
    return sum(r.client_kill_filter(addr=f"127.0.0.1:{port}") for port in ports)


def test_after_a_server_side_cut_the_worker_consumes_again_or_is_flagged(platform):
    platform.start("control")
    platform.start("dispatcher")
    worker = platform.start("worker", "--worker-id", "cut")
    wait_for(lambda: Worker.objects.filter(worker_id="cut").exists(), 30, "the worker's heartbeat")
    task = Task.objects.create(name="quick", type="shell", spec={"command": "true"})
    assert platform.wait_run(definitions.trigger(task).pk, "succeeded").worker == "cut"

    broker_url = platform.config.broker_url
    ports = wait_for(lambda: client_ports(worker, urlsplit(broker_url).port or 5672), 10, "the worker's connections")
    assert cut(broker_url, ports) >= 1

    after = definitions.trigger(task)

    def recovered_or_flagged():
        run = Run.objects.get(pk=after.pk)
        flagged = Worker.objects.filter(worker_id="cut", stalled_since__isnull=False).exists()
        return (run.status == "succeeded" and "consumed") or (flagged and "flagged")

    outcome = wait_for(recovered_or_flagged, 90, "the worker to consume again or be flagged stalled")
    assert outcome in ("consumed", "flagged")
    print(f"after the cut the worker {outcome}")
