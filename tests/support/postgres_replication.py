"""A PostgreSQL primary and a real streaming replica of it, private to the tests that use them.

The machine's shared PostgreSQL (127.0.0.1:5432) is not used: it must never be restarted or
reconfigured, and its pg_hba.conf has no `replication` line, so it refuses the replication
connection pg_basebackup needs. Instead this starts its own primary with the installed
PostgreSQL's binaries (initdb in a temporary directory, wal_level=replica, a free port), takes
a base backup of it with `pg_basebackup -R` and starts that as a hot standby on another free
port. Run as root, every PostgreSQL command runs as the postgres OS user (`runuser`), since
the server refuses to run as root.

Tests may pause the replica's replay (to make it lag), kill it (SIGKILL to the postmaster and
its children, as a crash would) and start it again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.services import free_port

DATABASE = "taskplane"


def bin_dir() -> Path | None:
    for candidate in (os.environ.get("TASKPLANE_PG_BINDIR", ""), "/usr/lib/postgresql/15/bin"):
        if candidate and (Path(candidate) / "pg_basebackup").is_file():
            return Path(candidate)
    found = shutil.which("pg_config")
    if found:
        path = Path(subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (path / "pg_basebackup").is_file():
            return path
    return None


def missing() -> str:
    """Why a replicated pair cannot be started here, or ''."""
    if bin_dir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) found; set TASKPLANE_PG_BINDIR"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root and `runuser` is missing: PostgreSQL refuses to run as root"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` OS user to run PostgreSQL as"
    return ""


@dataclass
class ReplicatedPostgres:
    root: Path
    bindir: Path
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)

    @property
    def primary_dir(self) -> Path:
        return self.root / "primary"

    @property
    def replica_dir(self) -> Path:
        return self.root / "replica"

    def url(self, port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    # --- running commands as the server's OS user
    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def _give_to_postgres(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    # --- life cycle
    def start(self) -> ReplicatedPostgres:
        self._give_to_postgres(self.root)
        self._run("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nwal_keep_size = '256MB'\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = '32MB'\nmax_connections = 60\n"
                # A standby keeps answering its long queries while replay is paused or behind.
                "max_standby_streaming_delay = -1\n"
            )
        # initdb's pg_hba.conf already has `host replication all 127.0.0.1/32 trust`.
        self._pg_ctl_start(self.primary_dir, "primary")
        self.psql(self.primary_port, f"CREATE DATABASE {DATABASE}", database="postgres")
        return self

    def migrate(self, env: dict[str, str], manage: str) -> None:
        """The schema, on the primary (the replica gets it by replication)."""
        result = subprocess.run([sys.executable, manage, "migrate", "--noinput"],
                                env={**env, "DATABASE_URL": self.primary_url}, capture_output=True, text=True,
                                timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")

    def start_replica(self) -> None:
        """Take the base backup (first time only) and start the standby."""
        if not self.replica_dir.exists():
            self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                      "-D", str(self.replica_dir), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
            with (self.replica_dir / "postgresql.conf").open("a") as conf:
                conf.write(f"\nport = {self.replica_port}\n")
        self._pg_ctl_start(self.replica_dir, "replica")
        self.wait_until(lambda: self.in_recovery(), 60, "the replica to accept connections as a standby")

    def _pg_ctl_start(self, data: Path, name: str) -> None:
        self._run("pg_ctl", "-D", str(data), "-l", str(self.root / f"{name}.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                try:
                    self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop")
                except (RuntimeError, subprocess.TimeoutExpired):
                    self._kill(data)
        shutil.rmtree(self.root, ignore_errors=True)

    def kill_replica(self) -> None:
        """SIGKILL the replica's postmaster and every backend of it, as a crash of its host would."""
        self._kill(self.replica_dir)

    def _kill(self, data: Path) -> None:
        pid_file = data / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split("\n", 1)[0])
        try:
            postmaster = psutil.Process(pid)
            victims = [postmaster, *postmaster.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for process in victims:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(victims, timeout=30)

    # --- SQL
    def psql(self, port: int, sql: str, database: str = DATABASE):
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=database, autocommit=True,
                             connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else None

    def in_recovery(self) -> bool:
        try:
            return bool(self.psql(self.replica_port, "SELECT pg_is_in_recovery()")[0][0])
        except Exception:  # noqa: BLE001  not up yet
            return False

    def pause_replay(self) -> None:
        self.psql(self.replica_port, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.psql(self.replica_port, "SELECT pg_wal_replay_resume()")

    def caught_up(self) -> bool:
        (primary,) = self.psql(self.primary_port, "SELECT pg_current_wal_lsn()")[0]
        (replayed,) = self.psql(self.replica_port, "SELECT pg_last_wal_replay_lsn()")[0]
        return replayed is not None and replayed >= primary

    @staticmethod
    def wait_until(predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.1)


def start_pair() -> ReplicatedPostgres:
    root = Path(tempfile.mkdtemp(prefix="taskplane-pg-"))
    pair = ReplicatedPostgres(root=root, bindir=bin_dir())
    try:
        pair.start()
    except BaseException:
        pair.stop()
        raise
    return pair
