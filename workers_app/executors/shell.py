"""Run a shell task in its own process group, with a timeout, cancel and capped output."""

from __future__ import annotations

import errno
import logging
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Callable

from tasks_app.specs import SpecError, shell_command

from .execution_registry import ExecutionRegistry, kill_group, validate_execution_id
from .group_guard import guard
from .result import ExecutionResult, cap_text

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
# How long to wait for the pipe readers once the group is dead. Only a process that left the
# group (setsid, daemonizing) can still hold a pipe then; we do not wait for it.
READER_JOIN_SECONDS = 1.0
# on_output gets lines; a line longer than this is handed over in pieces.
MAX_LINE_BYTES = 65536

OutputCallback = Callable[[str, str], None]


def parse_spec(spec: dict) -> tuple[list[str], dict[str, str], str | None]:
    """(argv, environment, cwd) of a shell spec, as tasks_app.specs reads it (SpecError says
    what is wrong), plus what only this node can judge: that the working directory exists."""
    argv, extra, cwd = shell_command(spec)
    if cwd is not None and not os.path.isdir(cwd):
        raise SpecError({"spec.cwd": f"{cwd!r} is not an existing directory on this node"})
    return argv, {**os.environ, **extra}, cwd


class _Reader(threading.Thread):
    """Drains one pipe: keeps the first `cap` bytes, counts the rest, feeds on_output.

    It reads to EOF even past the cap: a child blocked on a full pipe would never exit.
    """

    def __init__(self, pipe, name: str, cap: int, on_output: OutputCallback | None, lock: threading.Lock):
        super().__init__(name=f"shell-{name}", daemon=True)
        self.pipe, self.stream, self.cap = pipe, name, cap
        self.on_output, self.callback_lock = on_output, lock
        self.kept = bytearray()
        self.total = 0
        self._line = bytearray()
        self._callback_failures = 0
        self.snapshot_lock = threading.Lock()

    def run(self) -> None:
        fd = self.pipe.fileno()
        try:
            while chunk := os.read(fd, 65536):
                with self.snapshot_lock:
                    room = self.cap - len(self.kept)
                    taken = chunk[: max(0, room)]
                    self.kept += taken
                    self.total += len(chunk)
                if taken:
                    self._lines(taken, at_cap=len(taken) == room)
        except OSError as exc:
            log.warning("reading %s failed: %s", self.stream, exc)
        self._lines(b"", at_cap=True)

    def snapshot(self) -> tuple[bytes, int]:
        with self.snapshot_lock:
            return bytes(self.kept), self.total

    def _lines(self, data: bytes, at_cap: bool) -> None:
        # on_output sees exactly the captured bytes: past the cap there is nothing to stream.
        if self.on_output is None:
            return
        self._line += data
        while True:
            cut = self._line.find(b"\n")
            if cut >= 0:
                piece = bytes(self._line[:cut])
                del self._line[: cut + 1]
            elif len(self._line) >= MAX_LINE_BYTES:
                piece = bytes(self._line[:MAX_LINE_BYTES])
                del self._line[:MAX_LINE_BYTES]
            else:
                break
            self._emit(piece)
        if at_cap and self._line:
            piece, self._line = bytes(self._line), bytearray()
            self._emit(piece)

    def _emit(self, line: bytes) -> None:
        try:
            # Serialized across stdout and stderr, so callbacks need not be thread-safe.
            with self.callback_lock:
                self.on_output(self.stream, line.decode("utf-8", errors="replace"))
        except Exception:
            self._callback_failures += 1
            if self._callback_failures == 1:
                log.exception("on_output failed for %s; the execution goes on", self.stream)


def _captured(reader: _Reader, cap: int) -> str:
    kept, total = reader.snapshot()  # the reader may still run if a stray process holds the pipe
    return cap_text(kept, cap, total)


def _exit_notifier(pid: int) -> int | None:
    """A pidfd of the leader, readable once it exits, so the poll loop wakes at the exit instead
    of at the next tick (a short command would otherwise always cost a whole POLL_SECONDS).
    None where the kernel or Python lacks pidfd_open: then the loop just sleeps."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _pause(notifier: int | None) -> None:
    if notifier is None:
        time.sleep(POLL_SECONDS)
        return
    # poll, not select: a busy worker's descriptors can pass select's FD_SETSIZE (1024).
    poller = select.poll()
    poller.register(notifier, select.POLLIN)
    poller.poll(POLL_SECONDS * 1000)


def _leader_exited(pid: int) -> bool:
    # WNOWAIT leaves the leader a zombie: its pid, hence our group id, cannot be reused by a
    # new process while we still signal the group. We reap it (Popen.wait) only at the end.
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _unstartable(program: str, env: dict, cwd: str | None) -> str:
    """Why exec would refuse the program ("" if it would not), looked up as exec looks it up."""
    if "/" in program:
        path = program if os.path.isabs(program) or cwd is None else os.path.join(cwd, program)
        if not os.path.exists(path):
            return os.strerror(errno.ENOENT)
        if os.path.isdir(path) or not os.access(path, os.X_OK):
            return os.strerror(errno.EACCES)
        return ""
    return "" if shutil.which(program, path=env.get("PATH", os.defpath)) else os.strerror(errno.ENOENT)


def run_shell(
    spec: dict,
    *,
    timeout: float | None,
    output_cap: int = 1_048_576,
    execution_id: str | None = None,
    registry: ExecutionRegistry | None = None,
    kill_grace: float = 5.0,
    on_output: OutputCallback | None = None,
) -> ExecutionResult:
    """Run the spec; never raises for a bad spec or a command that cannot start.

    timeout None (or <= 0) means no limit. With execution_id, the run is registered (in the
    given registry, or the default one) so that request_cancel from the worker's main process
    can stop it, and a cancel requested earlier stops it before it starts.
    """
    started = time.monotonic()

    def result(status: str, **fields) -> ExecutionResult:
        return ExecutionResult(status, duration_seconds=round(time.monotonic() - started, 3), **fields)

    try:
        argv, env, cwd = parse_spec(spec)
        if execution_id is not None:
            validate_execution_id(execution_id)
            registry = registry or ExecutionRegistry()
    except (SpecError, ValueError, OSError) as exc:  # OSError: the registry directory is unusable
        return result("failed", error=str(exc))
    if execution_id is not None and registry.cancel_requested(execution_id):
        return result("cancelled", error="cancelled before start")

    unstartable = _unstartable(argv[0], env, cwd)
    if unstartable:  # said here: under the guard's prologue, a failed exec would be exit code 127
        return result("failed", error=f"cannot start {argv[0]!r}: {unstartable}")
    # The group dies with this process, however it dies (group_guard.py).
    guarded_argv, guarded = guard.spawn(argv, env)
    try:
        proc = subprocess.Popen(
            guarded_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=cwd, start_new_session=True, close_fds=True, **guarded,
        )
    except OSError as exc:
        return result("failed", error=f"cannot start {argv[0]!r}: {exc.strerror or exc}")
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    callback_lock = threading.Lock()
    readers = [
        _Reader(proc.stdout, "stdout", output_cap, on_output, callback_lock),
        _Reader(proc.stderr, "stderr", output_cap, on_output, callback_lock),
    ]
    for reader in readers:
        reader.start()

    outcome = None  # "timed_out" | "cancelled" once we decided to stop it
    group_cleaned = False
    notifier = _exit_notifier(proc.pid)
    try:
        if execution_id is not None:
            registry.register(execution_id, pgid)
        deadline = started + timeout if timeout and timeout > 0 else None
        while not _leader_exited(proc.pid):
            # The marker check also covers a cancel that raced with register (see registry.py).
            if execution_id is not None and registry.cancel_requested(execution_id):
                outcome = "cancelled"
                break
            if deadline is not None and time.monotonic() >= deadline:
                outcome = "timed_out"
                break
            _pause(notifier)
        # Also after a normal exit: background children ("cmd &") must not outlive the run.
        group_cleaned = kill_group(pgid, kill_grace)
    finally:
        if not group_cleaned:
            # An exception got here (e.g. Celery's soft time limit): never leave the group behind.
            group_cleaned = kill_group(pgid, kill_grace)
        try:
            exit_code = proc.wait(timeout=READER_JOIN_SECONDS)
        except subprocess.TimeoutExpired:  # a leader unkillable (stuck in the kernel): do not hang
            exit_code = None
        if execution_id is not None:
            registry.unregister(execution_id)
        if group_cleaned:
            guard.release(pgid)  # empty: its id may be reused, the guard must forget it
        if notifier is not None:
            os.close(notifier)

    for reader in readers:
        reader.join(READER_JOIN_SECONDS)
    stdout, stderr = (_captured(reader, output_cap) for reader in readers)
    if all(not reader.is_alive() for reader in readers):
        proc.stdout.close()
        proc.stderr.close()
    else:
        # Closing an fd another thread is blocked reading could hand the number to a new file.
        log.warning("a process outside the group still holds the output pipes of pid %s", pgid)

    if outcome is None and execution_id is not None and exit_code not in (0, None):
        # request_cancel may have killed the group before our loop saw the marker. A command
        # that still exited 0 finished its work: that stays a success.
        if registry.cancel_requested(execution_id):
            outcome = "cancelled"
    fields = dict(exit_code=exit_code, stdout=stdout, stderr=stderr)
    if outcome == "timed_out":
        return result("timed_out", error=f"timed out after {timeout:g}s", **fields)
    if outcome == "cancelled":
        return result("cancelled", error="cancelled", **fields)
    if exit_code == 0:
        return result("succeeded", **fields)
    if exit_code is None:
        return result("failed", error=f"process group {pgid} could not be killed", **fields)
    if exit_code < 0:
        return result("failed", error=f"killed by signal {-exit_code}", **fields)
    return result("failed", error=f"exit code {exit_code}", **fields)
