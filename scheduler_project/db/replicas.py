"""Read replicas: which reads may go to one, which one, and whether it is fit to serve them.

The rule is small and explicit: a read goes to a replica only inside `replica_reads()`, which
ReadReplicaMiddleware opens around a GET or HEAD request of the api role whose session has
not just written (middleware.py). Everything else reads from the primary: the engine, the
control role and the dispatcher (they have no replica configured at all: settings.py), manage.py
commands, a request that writes, reads inside a transaction on the primary, and the models
whose staleness would matter (API keys, users, sessions: only READ_APPS read from a replica).

Fitness: one thread per process checks every replica every replica_check_interval_seconds,
each check bounded by replica_check_timeout_seconds, and keeps the answer. A replica is used
while its last check, recent enough, found it reachable, in recovery (a standby) and no more
than replica_max_lag_seconds behind the primary; otherwise it is skipped, and it comes back
at the first check that finds it fit again. Requests never wait for a check.

Lag is measured against the primary's WAL position, sampled at each check: a replica is as
far behind as the oldest sample it has not replayed yet is old. That needs no clock agreement
between servers, and unlike now() - pg_last_xact_replay_timestamp() it does not call an idle,
fully caught-up replica late.

Between a replica's death and the next check, requests may still be sent to it: the
middleware answers those from the primary instead (see there), and marks the replica unfit
at once (suspect()).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

ALIAS_PREFIX = "replica_"
# The apps whose rows a read-only request may read slightly stale: runs, tasks and their
# schedules, workers, instances, the audit log. Not accounts (a revoked key must stop working
# at once), users or sessions.
READ_APPS = frozenset({"tasks_app", "workers_app", "instances_app", "audit_app", "django_celery_beat"})

# None: read from the primary. A list: replica reads allowed; the aliases used so far are
# appended to it, so that the middleware knows which replica served the request.
_reads: ContextVar[list[str] | None] = ContextVar("taskplane_replica_reads", default=None)


def alias_for(name: str) -> str:
    return f"{ALIAS_PREFIX}{name}"


def configured() -> dict[str, str]:
    """Replica alias -> name, for this process (empty for roles that never use replicas)."""
    return getattr(settings, "DATABASE_REPLICAS", {})


@contextmanager
def replica_reads():
    """Allow replica reads for what runs inside; yields the list of replica aliases used."""
    used: list[str] = []
    token = _reads.set(used)
    try:
        yield used
    finally:
        _reads.reset(token)


def reads_allowed() -> bool:
    return _reads.get() is not None


class ReadReplicaRouter:
    """DATABASE_ROUTERS entry (only when replicas are configured). Writes and migrations are
    the primary's; reads go to a fit replica inside replica_reads(), one replica per request."""

    def db_for_read(self, model, **hints):
        used = _reads.get()
        if used is None or model._meta.app_label not in READ_APPS:
            return None
        if connections["default"].in_atomic_block:
            return None  # inside a transaction on the primary: read what it wrote
        if used:
            return used[0]  # one replica per request: its lists and counts agree with each other
        alias = health().pick()
        if alias is not None:
            used.append(alias)
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, several servers

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"


@dataclass
class ReplicaState:
    name: str
    alias: str
    fit: bool = False
    lag_seconds: float | None = None
    bytes_behind: int | None = None
    in_recovery: bool | None = None
    error: str = "not checked yet"
    checked_at: datetime | None = None
    checked_monotonic: float = 0.0


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class Health:
    """The fitness of this process's replicas, kept fresh by one background thread."""

    def __init__(self, replicas: dict[str, str], urls: dict[str, str], primary_url: str, db):
        self.urls = urls  # alias -> URL
        self.primary_url = primary_url
        self.max_lag = db.replica_max_lag_seconds
        self.interval = db.replica_check_interval_seconds
        self.timeout = db.replica_check_timeout_seconds
        self.states = {alias: ReplicaState(name, alias) for alias, name in replicas.items()}
        # (monotonic time, primary WAL position), oldest first, for as long as lag can matter.
        self.samples: deque[tuple[float, int]] = deque()
        self.keep_seconds = max(60.0, 3 * self.max_lag)
        self.lock = threading.Lock()
        self.connections: dict[str, object] = {}
        self.thread: threading.Thread | None = None
        self.pid = 0

    # --- used by requests
    def pick(self) -> str | None:
        self._ensure_running()
        fit = self.fit()
        return random.choice(fit) if fit else None

    def fit(self) -> list[str]:
        # A verdict older than a few intervals is no verdict: the checker may be stuck.
        stale_after = 3 * self.interval + 2 * self.timeout + 2
        now = time.monotonic()
        with self.lock:
            return [s.alias for s in self.states.values() if s.fit and now - s.checked_monotonic < stale_after]

    def suspect(self, alias: str, reason: str) -> None:
        """A request just failed on this replica: stop using it until a check finds it fit."""
        with self.lock:
            state = self.states.get(alias)
            if state is not None and state.fit:
                state.fit = False
                state.error = f"failed a request: {reason}"[:300]
                log.warning("replica %s failed a request (%s); reads go elsewhere until it checks fit",
                            state.name, reason)

    def status(self) -> list[dict]:
        self._ensure_running()
        with self.lock:
            rows = [asdict(s) for s in self.states.values()]
        for row in rows:
            row.pop("checked_monotonic")
            row["max_lag_seconds"] = self.max_lag
        return rows

    # --- the checker
    def _ensure_running(self) -> None:
        if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
            return
        with self.lock:
            if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
                return
            # First use in this process (gunicorn forks workers after importing the app).
            self.pid = os.getpid()
            self.connections = {}
            self.thread = threading.Thread(target=self._loop, name="replica-health", daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.check_once()
            except Exception:  # noqa: BLE001  a checker that dies would freeze every verdict
                log.exception("replica health check failed")
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    def _connect(self, key: str, url: str):
        import psycopg

        conn = self.connections.get(key)
        if conn is not None and not conn.closed:
            return conn
        conn = psycopg.connect(
            url, autocommit=True, connect_timeout=max(2, int(self.timeout + 0.999)),
            options=f"-c statement_timeout={int(self.timeout * 1000)}", application_name="taskplane-replica-check",
        )
        self.connections[key] = conn
        return conn

    def _query(self, key: str, url: str, sql: str):
        try:
            with self._connect(key, url).cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()
        except Exception:
            conn = self.connections.pop(key, None)
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass
            raise

    def check_once(self) -> None:
        """One round: sample the primary's WAL position, then judge every replica."""
        try:
            (position,) = self._query("default", self.primary_url, "SELECT pg_current_wal_lsn()::text")
            now = time.monotonic()
            self.samples.append((now, _lsn(position)))
            while self.samples and now - self.samples[0][0] > self.keep_seconds and len(self.samples) > 1:
                self.samples.popleft()
        except Exception as exc:  # noqa: BLE001  lag is then judged against the samples we have
            log.debug("primary WAL position unavailable: %s", exc)
        for alias, url in self.urls.items():
            self._check(alias, url)

    def _check(self, alias: str, url: str) -> None:
        started = time.monotonic()
        try:
            in_recovery, replayed = self._query(alias, url, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
            error = ""
            if time.monotonic() - started > self.timeout:
                error = f"answered in {time.monotonic() - started:.1f} s, over {self.timeout:g} s"
        except Exception as exc:  # noqa: BLE001  any failure makes the replica unfit; the reason is shown
            in_recovery, replayed, error = None, None, f"{type(exc).__name__}: {exc}".strip()[:300]
        lag = behind = None
        if replayed is not None:
            position = _lsn(replayed)
            now = time.monotonic()
            lag = 0.0
            for taken, primary in self.samples:  # oldest first: the oldest position not replayed yet
                if primary > position:
                    lag = round(now - taken, 3)
                    break
            if self.samples:
                behind = max(0, self.samples[-1][1] - position)
        if not error and in_recovery is False:
            error = "not in recovery: promoted, or not a standby, so not a replica of the primary"
        if not error and in_recovery and replayed is None:
            error = "in recovery but replaying nothing yet"
        if not error and lag is not None and lag > self.max_lag:
            error = f"{lag:.1f} s behind the primary, over replica_max_lag_seconds ({self.max_lag:g})"
        with self.lock:
            state = self.states[alias]
            was_fit = state.fit
            state.fit, state.error = not error, error
            state.lag_seconds, state.bytes_behind, state.in_recovery = lag, behind, in_recovery
            state.checked_at, state.checked_monotonic = datetime.now(UTC), time.monotonic()
        if was_fit != (not error):
            if error:
                log.warning("replica %s skipped: %s", state.name, error)
            else:
                log.info("replica %s fit (lag %.1f s): reads go to it", state.name, lag or 0.0)


_health: Health | None = None
_health_lock = threading.Lock()


def health() -> Health:
    global _health
    if _health is None:
        with _health_lock:
            if _health is None:
                replicas = configured()
                urls = {alias: settings.TP.database.read_replicas[name] for alias, name in replicas.items()}
                _health = Health(replicas, urls, settings.TP.database.url, settings.TP.database)
    return _health


def status() -> list[dict]:
    """Each replica with its fitness, lag and last check, for /api/system/health/detailed."""
    return health().status() if configured() else []
