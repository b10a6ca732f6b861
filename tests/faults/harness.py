"""The fault-injection harness (issue 14): private services that a test may stop, kill and
restart without touching the machine's, the pids of every role, database cuts, and a command
log that counts executions from the command's own point of view.

Nothing here changes product code: the roles are started by `tests.support.platform.Platform` with
`manage.py serve`, which execs the role's own process when it runs one role, so the Popen's pid
is the role's main process (for a worker: the Celery main process, whose children are its
prefork pool processes, whose children in turn are the shell commands, each in its own session).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.services import free_port

# --------------------------------------------------------------------------------------------
# Bounds. Guarantee 9: every run is final within worker_timeout_seconds + 2 sweeps of a single
# fault. LOAD_SLACK covers what the bound does not: processes starting (Django, Celery: several
# seconds of CPU each) and queueing on a loaded 2-core CI machine. A fix must not need it.
LOAD_SLACK = 15.0


def final_bound(config) -> float:
    d = config.settings.dispatcher
    return d.worker_timeout_seconds + 2 * d.sweep_interval_seconds + LOAD_SLACK


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.2):
    """Poll until predicate() is truthy; returns its value, or None at the deadline (no failure:
    a fault test records what it saw and judges at the end, see Violations)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value or None
        time.sleep(interval)


def say(event: str) -> None:
    """A test-side event with the time, in the logs' format: a failed test's captured output
    lines it up with the processes' digest (tests/support/platform.py Platform.digest)."""
    now = time.time()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(now))},{int(now % 1 * 1000):03d} test: {event}",
          flush=True)


class Violations:
    """What must hold, checked one by one; the test fails at the end listing every broken
    guarantee, so that a failure report shows the whole observed behaviour, not the first gap."""

    def __init__(self):
        self.found: list[str] = []

    def check(self, ok, message: str | Callable[[], str]) -> bool:
        if not ok:
            self.found.append(message() if callable(message) else message)
        return bool(ok)

    def assert_none(self, context: str = "") -> None:
        assert not self.found, "guarantees broken:\n  - " + "\n  - ".join(self.found) + (
            f"\n{context}" if context else "")


# --------------------------------------------------------------------------------------------
# Private services.


def _wait_port(port: int, timeout: float, process: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what or 'service'} exited with {process.returncode} before listening on {port}")
        time.sleep(0.1)
    raise RuntimeError(f"{what or 'service'} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _stop_group(process: subprocess.Popen, grace: float) -> None:
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class PrivateRedis:
    """A redis-server of the test's own on a free port (the embedded one's command line:
    append-only file, so a broker queue survives a stop/start). stop(), kill(), start() and
    restart() keep the port and the data directory."""

    kind = "redis"

    def __init__(self, base: Path, name: str = "redis"):
        from scheduler_project import embedded

        self.name = name
        self.dir = base / name
        self.port = free_port()
        self.argv = embedded.server_argv(self.port, self.dir)
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def up(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        from scheduler_project.supervisor import _die_with_parent

        assert not self.up, f"{self.name} already runs"
        self.process = subprocess.Popen(self.argv, start_new_session=True, preexec_fn=_die_with_parent,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, timeout, self.process, self.name)
        from scheduler_project import embedded

        embedded.wait_until_answering(self.port, timeout=timeout, process=self.process)
        say(f"{self.name} answers on port {self.port}")

    def stop(self, timeout: float = 20.0) -> None:
        """A clean stop (SIGTERM: the append-only file is flushed)."""
        if self.process is not None:
            say(f"{self.name} stopping")
            _stop_group(self.process, timeout)
            say(f"{self.name} stopped")
        self.process = None

    def kill(self) -> None:
        """kill -9: what was not yet fsynced (up to a second) is lost, as on a crash."""
        if self.process is not None:
            _stop_group_now(self.process)
            say(f"{self.name} killed")
        self.process = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def broker_env(self) -> dict[str, str]:
        return {"MESSAGE_QUEUE_TYPE": "redis_stream", "MESSAGE_QUEUE_URL": self.url(1)}


def _stop_group_now(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def rabbitmq_server_binary() -> str | None:
    """The server script itself: Debian's /usr/sbin wrapper re-runs it as user rabbitmq with the
    machine's node settings, which would not be private."""
    for candidate in ("/usr/lib/rabbitmq/bin/rabbitmq-server", shutil.which("rabbitmq-server")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def rabbitmqctl_binary() -> str | None:
    for candidate in ("/usr/lib/rabbitmq/bin/rabbitmqctl", shutil.which("rabbitmqctl")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class PrivateRabbit:
    """A RabbitMQ node of the test's own: its node name, AMQP and distribution ports, database,
    logs, configuration and enabled-plugins files, and Erlang cookie (in a HOME of its own, so
    rabbitmqctl reaches it and nothing else). It registers its name with the machine's epmd,
    which is only a name directory; the machine's node is never addressed.

    stop() is `rabbitmqctl -n <node> stop` (the node's queues and persistent messages are kept in
    its own database dir), kill() is SIGKILL of its process group; start() waits for AMQP."""

    kind = "rabbitmq"

    def __init__(self, base: Path, name: str = "rabbit"):
        self.dir = base / name
        self.node = f"tpfault-{secrets.token_hex(4)}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        home, mnesia, logs = self.dir / "home", self.dir / "mnesia", self.dir / "log"
        for d in (home, mnesia, logs):
            d.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            # a small machine: do not refuse publishes for want of disk or memory headroom
            "disk_free_limit.absolute = 50MB\n"
            "vm_memory_high_watermark.relative = 0.8\n"
        )
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq-env.conf").write_text("# private node: nothing from /etc/rabbitmq\n")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(mnesia),
            "RABBITMQ_LOG_BASE": str(logs),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(self.dir / "node.pid"),
        }
        self.server = rabbitmq_server_binary()
        self.process: subprocess.Popen | None = None

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    @property
    def up(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 90.0) -> None:
        from scheduler_project.supervisor import _die_with_parent

        assert self.server, "rabbitmq-server not found"
        assert not self.up, "the node already runs"
        log = (self.dir / "server.out").open("ab")
        self.process = subprocess.Popen([self.server], env=self.env, cwd=self.dir, start_new_session=True,
                                        preexec_fn=_die_with_parent, stdout=log, stderr=subprocess.STDOUT)
        _wait_port(self.port, timeout, self.process, f"RabbitMQ node {self.node}")
        self._wait_amqp(timeout)
        say(f"RabbitMQ node answers AMQP on port {self.port}")

    def _wait_amqp(self, timeout: float) -> None:
        import amqp

        deadline = time.monotonic() + timeout
        while True:
            try:
                connection = amqp.Connection(f"127.0.0.1:{self.port}", userid="guest", password="guest",
                                             connect_timeout=2)
                connection.connect()
                connection.close()
                return
            except Exception:  # noqa: BLE001  booting: refused, reset, or not yet accepting logins
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def ctl(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        return subprocess.run([rabbitmqctl_binary(), "-n", self.node, *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def stop(self, timeout: float = 60.0) -> None:
        """`rabbitmqctl stop`, then by signal if the node is still there at the deadline."""
        if self.process is None:
            return
        say("RabbitMQ node stopping")
        try:
            self.ctl("stop", timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(self.process, 5.0)
        _stop_group_now(self.process)  # erl_child_setup and friends
        self.process = None
        wait_until(lambda: _port_closed(self.port), 10)
        say("RabbitMQ node stopped")

    def kill(self) -> None:
        if self.process is not None:
            _stop_group_now(self.process)
            say("RabbitMQ node killed")
        self.process = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def broker_env(self) -> dict[str, str]:
        return {"MESSAGE_QUEUE_TYPE": "rabbitmq", "MESSAGE_QUEUE_URL": self.url()}


class SilentProxy:
    """A TCP proxy on a free port to a local service, whose connections can die silently: after
    silence(), the connections it relays pass nothing on and are never closed (no FIN, no RST), as
    when the far host vanished or a NAT dropped them; connections opened after it relay normally.
    Only loopback traffic to a service of the test's own."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.live: list[dict] = []  # per connection: {"silent": bool, "sockets": [...]}
        self.closed = False
        threading.Thread(target=self._accept, name="silent-proxy", daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                upstream.settimeout(None)
            except OSError:
                continue
            link = {"silent": False, "sockets": [client, upstream]}
            self.live.append(link)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(link, src, dst), daemon=True).start()

    def _pump(self, link: dict, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if link["silent"]:
                if not data:
                    return  # one side closed: the other never hears of it
                continue  # swallowed
            if not data:
                for sock in link["sockets"]:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    def silence(self) -> int:
        """Every connection open now goes silent; returns how many."""
        for link in self.live:
            link["silent"] = True
        return len(self.live)

    def close(self) -> None:
        self.closed = True
        for sock in [self.listener, *(s for link in self.live for s in link["sockets"])]:
            try:
                sock.close()
            except OSError:
                pass


# --------------------------------------------------------------------------------------------
# The roles' processes.


def role_process(popen: subprocess.Popen) -> psutil.Process:
    """The role's main process (`serve --mode <role>` execs it, so it is the Popen's pid)."""
    return psutil.Process(popen.pid)


def role_pids(popen: subprocess.Popen) -> list[int]:
    """Every process of a role in its own process group: the main process and, for a worker, its
    prefork pool children, for the api its gunicorn workers (not the shell commands: they run in
    sessions of their own)."""
    try:
        main = role_process(popen)
        sid = os.getsid(main.pid)
        return [main.pid, *(p.pid for p in main.children(recursive=True) if _sid(p.pid) == sid)]
    except (psutil.Error, ProcessLookupError):
        return []


def _sid(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except ProcessLookupError:
        return None


def pool_children(worker: subprocess.Popen) -> list[psutil.Process]:
    """A prefork worker's pool processes."""
    try:
        main = role_process(worker)
        sid = os.getsid(main.pid)
        return [p for p in main.children() if _sid(p.pid) == sid]
    except (psutil.Error, ProcessLookupError):
        return []


def kill_role(popen: subprocess.Popen) -> None:
    """kill -9 of a role's whole process group (a node dying: main process and pool children)."""
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        popen.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def pause_role(popen: subprocess.Popen) -> None:
    os.killpg(popen.pid, signal.SIGSTOP)


def resume_role(popen: subprocess.Popen) -> None:
    os.killpg(popen.pid, signal.SIGCONT)


# --------------------------------------------------------------------------------------------
# The database.


def terminate_backends() -> int:
    """pg_terminate_backend of every other connection to the test database (the roles'): a
    database cut as a failover or a network blip looks to the processes. Returns how many."""
    from django.db import connection

    assert connection.vendor == "postgresql", "database cuts need PostgreSQL"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def backends() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------------------------
# The command log: what the commands themselves saw.


@dataclass(frozen=True)
class Entry:
    run: int
    attempt: int
    pid: int  # the shell's pid: the leader, hence the id, of the command's process group
    event: str  # start | end
    at: float


class CommandLog:
    """A file that shell tasks append `$TP_RUN_ID $TP_ATTEMPT <pid> start|end <time>` lines to.

    command(body) wraps a shell body so that it logs its start and its end; a command killed
    before its end logs no end. Lines are short single appends (O_APPEND): never interleaved.
    """

    def __init__(self, path: Path):
        self.path = path
        path.touch()
        self.last_seen: dict[int, float] = {}  # pid -> last time its group was seen alive (watch())
        self._watching: threading.Event | None = None

    def watch(self, interval: float = 0.25) -> None:
        """Sample which logged executions are alive, in a thread: a command killed by SIGKILL logs
        no end, and overlapping() then takes the last time it was seen alive as its end."""
        self._watching = threading.Event()

        def sample():
            while not self._watching.wait(interval):
                now = time.time()
                try:
                    for entry in self.alive():
                        self.last_seen[entry.pid] = now
                except Exception:  # noqa: BLE001  a process vanishing mid-scan: the next sample sees it
                    continue

        threading.Thread(target=sample, name="command-log-watch", daemon=True).start()

    def stop_watching(self) -> None:
        if self._watching is not None:
            self._watching.set()

    def command(self, body: str = "true") -> str:
        log = f'"{self.path}"'
        line = '"$TP_RUN_ID $TP_ATTEMPT $$'
        return (f'echo {line} start $(date +%s.%N)" >> {log}; {body}\n'
                f'rc=$?; echo {line} end $(date +%s.%N)" >> {log}; exit $rc')

    def entries(self) -> list[Entry]:
        found = []
        for line in self.path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 5 and parts[3] in ("start", "end"):
                found.append(Entry(int(parts[0]), int(parts[1]), int(parts[2]), parts[3], float(parts[4])))
        return found

    def starts(self, run: int | None = None) -> list[Entry]:
        return [e for e in self.entries() if e.event == "start" and (run is None or e.run == run)]

    def ends(self, run: int | None = None) -> list[Entry]:
        return [e for e in self.entries() if e.event == "end" and (run is None or e.run == run)]

    def executions(self, run: int | None = None) -> Counter:
        """(run, attempt) -> how many times its command started."""
        return Counter((e.run, e.attempt) for e in self.starts(run))

    def executed_twice(self, runs: Iterable[int] | None = None) -> dict[tuple[int, int], int]:
        wanted = set(runs) if runs is not None else None
        return {k: n for k, n in self.executions().items() if n > 1 and (wanted is None or k[0] in wanted)}

    def alive(self, run: int | None = None) -> list[Entry]:
        """The executions whose process group still has a live (non-zombie) member."""
        from workers_app.executors.execution_registry import group_alive

        return [e for e in self.starts(run) if group_alive(e.pid)]

    def overlapping(self, run: int) -> list[tuple[Entry, Entry]]:
        """Pairs of executions of one run that were alive at the same time (from the log's times;
        an execution killed without an end ends when watch() last saw it alive)."""
        spans = []
        ends = {e.pid: e.at for e in self.ends(run)}
        alive = {e.pid for e in self.alive(run)}
        for start in self.starts(run):
            if start.pid in ends:
                end = ends[start.pid]
            elif start.pid in alive:
                end = float("inf")
            else:  # killed: its end is when it was last seen alive
                end = max(start.at, self.last_seen.get(start.pid, start.at))
            spans.append((start, end))
        pairs = []
        for i, (a, a_end) in enumerate(spans):
            for b, b_end in spans[i + 1:]:
                if a.at < b_end and b.at < a_end:
                    pairs.append((a, b))
        return pairs

    def kill_leftovers(self) -> list[int]:
        """SIGKILL the process group of every logged command still alive (teardown: a command
        that outlived its node must not outlive the test)."""
        killed = []
        for entry in self.alive():
            try:
                os.killpg(entry.pid, signal.SIGKILL)
                killed.append(entry.pid)
            except (ProcessLookupError, PermissionError):
                pass
        return killed

    def text(self) -> str:
        return self.path.read_text()


# --------------------------------------------------------------------------------------------
# Runs.


def statuses(run_ids: Iterable[int]) -> dict[int, str]:
    from tasks_app.models import Run

    return dict(Run.objects.filter(pk__in=list(run_ids)).values_list("pk", "status"))


def wait_final(run_ids: Iterable[int], timeout: float) -> dict[int, str]:
    """Wait up to `timeout` for every run to be final; returns their statuses then."""
    from tasks_app import states

    ids = list(run_ids)
    say(f"waiting up to {timeout:.0f} s for runs {ids} to be final")
    wait_until(lambda: all(s in states.FINAL for s in statuses(ids).values()), timeout, interval=0.3)
    found = statuses(ids)
    say(f"runs {ids}: {found}")
    return found


def not_final(found: dict[int, str]) -> dict[int, str]:
    from tasks_app import states

    return {pk: s for pk, s in found.items() if s not in states.FINAL}


def attempts(run_id: int) -> dict[int, str]:
    from tasks_app.models import RunAttempt

    return dict(RunAttempt.objects.filter(run_id=run_id).values_list("attempt", "status").order_by("attempt"))


# --------------------------------------------------------------------------------------------
# Tasks and workers of a scenario.

def shell_task(command_log: CommandLog, body: str, name: str | None = None, **fields):
    """A shell task whose command logs its start and end to the command log."""
    import secrets

    from tasks_app.models import Task

    fields.setdefault("retry_delay_seconds", 0)
    fields.setdefault("retry_jitter", False)
    fields.setdefault("max_retries", 2)
    return Task.objects.create(name=name or f"fault-{secrets.token_hex(3)}", type="shell",
                               spec={"command": command_log.command(body)}, **fields)


def wait_worker(worker_id: str, timeout: float = 60) -> None:
    from tests.support.processes import wait_for
    from workers_app.models import Worker

    wait_for(lambda: Worker.objects.filter(worker_id=worker_id, status="online").exists(), timeout,
             f"worker {worker_id}'s heartbeat in the registry")
