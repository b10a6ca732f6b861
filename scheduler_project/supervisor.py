"""Supervise the processes of `serve --mode all` on one machine.

- Each child runs in its own session (process group), so a signal to the group reaches
  the grandchildren too (gunicorn workers, celery pool processes), and a terminal Ctrl-C
  reaches only the supervisor, which then stops the children in order.
- Each child also gets PR_SET_PDEATHSIG: if the supervisor itself is killed with -9,
  the kernel kills the children instead of leaving them orphaned.
- A child that exits is restarted after a delay that doubles up to MAX_BACKOFF and
  resets once the child has stayed up for STABLE_AFTER seconds.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("taskplane.supervisor")

MIN_BACKOFF = 1.0
MAX_BACKOFF = 30.0
STABLE_AFTER = 30.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the supervisor's own signal handling still stops the children


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready: Callable[[], None] | None = None  # blocks until the child serves; raises if it cannot
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = field(default_factory=lambda: MIN_BACKOFF)  # read now, as the reset path reads it
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, start_new_session=True, preexec_fn=_die_with_parent
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("started %s (pid %s)", self.name, self.process.pid)

    def signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


class Supervisor:
    def __init__(self, children: list[Child], grace_seconds: float = 10.0, poll_seconds: float = 0.2):
        self.children = children
        self.grace_seconds = grace_seconds
        self.poll_seconds = poll_seconds
        self.stopping = False

    def request_stop(self, signum=None, frame=None) -> None:
        if not self.stopping:
            log.info("stopping every process (signal %s)", signum)
        self.stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self.request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                if self.stopping:
                    break
                child.start()
                if child.ready:
                    child.ready()
            while not self.stopping:
                self._tend()
                time.sleep(self.poll_seconds)
        finally:
            self.stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def _tend(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                continue
            code = child.process.poll() if child.process else None
            if code is None:
                continue
            if now - child.started_at >= STABLE_AFTER:
                child.backoff = MIN_BACKOFF
            child.signal_group(signal.SIGKILL)  # whatever it left behind in its group
            child.restart_at = now + child.backoff
            log.warning("%s exited with %s; restarting in %.0fs", child.name, code, child.backoff)
            child.backoff = min(child.backoff * 2, MAX_BACKOFF)

    def stop_all(self) -> None:
        """TERM every group (last started first), wait for the grace period, then KILL."""
        running = [c for c in reversed(self.children) if c.process is not None]
        for child in running:
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for child in running:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0fs; killing it", child.name, self.grace_seconds)
            # Even after a clean exit of the leader, members of its group may linger.
            child.signal_group(signal.SIGKILL)
            try:
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("%s (pid %s) survived SIGKILL", child.name, child.process.pid)
