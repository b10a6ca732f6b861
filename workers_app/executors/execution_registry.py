"""Which shell executions run on this host, and which ones were asked to stop.

The Celery worker's main process (where remote-control commands arrive) and its prefork pool
children (where commands run) share no memory, so they meet in a directory of small files:

    <execution_id>.pgid    "<pgid> <leader start time>" while the execution's process group runs
    <execution_id>--<claim>.verdict  the control role's answer to one delivery's start claim
                           ("go" or "stop <reason>"), read by the pool child that waits for it
    <execution_id>.cancel  a cancel was requested; kept after the run, so that a redelivery of
                           the same execution (acks_late) does not start it again; pruned by age

Ordering that makes a cancel racing with the start safe: request_cancel writes the marker
*then* reads the pgid; run_shell registers the pgid *then* checks the marker. Whichever comes
second sees the other's file, so the group is killed by one side or the other.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
KILL_DEADLINE_SECONDS = 5.0


def _shared_base() -> Path:
    return Path("/tmp") / f"taskplane-{os.getuid()}"


def default_runtime_dir() -> Path:
    configured = os.environ.get("TASKPLANE_RUNTIME_DIR")
    return Path(configured) if configured else _shared_base() / "executions"


def validate_execution_id(execution_id: str) -> str:
    # The id becomes a file name: no dots or slashes, so it cannot leave the directory.
    if not isinstance(execution_id, str) or not _ID.match(execution_id):
        raise ValueError(f"invalid execution id {execution_id!r}: use letters, digits, '-' and '_' only")
    return execution_id


def group_alive(pgid: int) -> bool:
    """Whether the process group still has a member that is not a zombie.

    kill(-pgid, 0) alone is not enough: zombies count as members, and an orphaned member that
    died is reaped by whoever adopted it (pid 1 or a subreaper), which may never happen in a
    container whose init does not reap. So when the signal says "exists", look at the members.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # a member we may not signal (setuid): still a member, look below
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:  # only members we may not signal are left (setuid): nothing to do
        log.warning("no permission to signal process group %s", pgid)


def kill_group(pgid: int, grace_seconds: float) -> bool:
    """TERM the group, wait up to the grace for it to empty, then KILL until it is empty.

    KILL is repeated because a member may fork between two signals. Returns False if members
    were still there at the deadline (e.g. stuck in uninterruptible sleep).
    """
    signal_group(pgid, signal.SIGTERM)
    signal_group(pgid, signal.SIGCONT)  # a stopped member only acts on TERM once continued
    end = time.monotonic() + max(0.0, grace_seconds)
    while time.monotonic() < end:
        if not group_alive(pgid):
            return True
        time.sleep(0.05)
    end = time.monotonic() + KILL_DEADLINE_SECONDS
    while True:
        signal_group(pgid, signal.SIGKILL)
        if not group_alive(pgid):
            return True
        if time.monotonic() >= end:
            log.error("process group %s still has members after SIGKILL", pgid)
            return False
        time.sleep(0.02)


def read_verdict(path: str) -> tuple[str, str] | None:
    """("go" | "stop", reason) from an answer's file (ExecutionRegistry.verdict_path), None while
    there is none. Plain os calls: a delivery polls this every few milliseconds (B1's profile:
    pathlib's work per poll was a sixth of a pool child's CPU)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return None
    verdict, _, reason = text.partition(" ")
    return verdict, reason


class ExecutionRegistry:
    def __init__(self, runtime_dir: Path | str | None = None):
        self.dir = Path(runtime_dir) if runtime_dir is not None else default_runtime_dir()
        # In the shared /tmp another user could create our path first (or a symlink in it) and
        # then read, plant or swap files: every level under /tmp/taskplane-<uid> must be ours.
        base = _shared_base()
        if self.dir == base or base in self.dir.parents:
            below = self.dir.relative_to(base).parts
            levels = [base.joinpath(*below[:i]) for i in range(len(below) + 1)]
        else:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            levels = [self.dir]
        for level in levels:
            level.mkdir(mode=0o700, exist_ok=True)
            st = level.lstat()
            if st.st_uid != os.getuid() or not stat.S_ISDIR(st.st_mode):
                raise PermissionError(f"{level} must be a directory owned by uid {os.getuid()}")

    def _path(self, execution_id: str, suffix: str) -> Path:
        return self.dir / f"{validate_execution_id(execution_id)}.{suffix}"

    def _write(self, path: Path, text: str) -> None:
        # Write-then-rename: a reader in the other process never sees a half-written file.
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def register(self, execution_id: str, pgid: int) -> None:
        # The leader's start time lets request_cancel tell our group from a later process that
        # reuses the pid after a crash left this file behind. The caller has not reaped the
        # leader yet, so even a leader that already exited (a zombie) still has it.
        try:
            started = repr(psutil.Process(pgid).create_time())
        except psutil.Error:
            started = "-"
        self._write(self._path(execution_id, "pgid"), f"{pgid} {started}\n")

    def unregister(self, execution_id: str) -> None:
        self._path(execution_id, "pgid").unlink(missing_ok=True)

    def pgid(self, execution_id: str) -> int | None:
        """The registered process group, if it is still ours and still has members."""
        try:
            pgid_text, started = self._path(execution_id, "pgid").read_text().split()
            pgid = int(pgid_text)
        except (OSError, ValueError):
            return None
        try:
            leader_started = repr(psutil.Process(pgid).create_time())
        except psutil.NoSuchProcess:
            # Leader gone. A pid is not reused while a group of that id has members, so if
            # the group exists it is still ours.
            return pgid if group_alive(pgid) else None
        except psutil.Error:
            return None
        return pgid if leader_started == started else None

    def cancel_requested(self, execution_id: str) -> bool:
        return os.path.exists(self.cancel_path(execution_id))

    def cancel_path(self, execution_id: str) -> str:
        """The cancel marker's file, for a caller that checks it many times (os.path.exists)."""
        return str(self._path(execution_id, "cancel"))

    def request_cancel(self, execution_id: str, grace_seconds: float) -> bool:
        """Mark the execution cancelled and stop its process group if it runs here.

        Returns at once: the KILL after the grace is sent from a daemon thread. Returns whether
        a running execution was found; when not, the marker still stops it at its start.
        """
        self._write(self._path(execution_id, "cancel"), f"{time.time()!r}\n")
        pgid = self.pgid(execution_id)
        if pgid is None:
            return False
        threading.Thread(
            target=kill_group, args=(pgid, grace_seconds), name=f"cancel-{execution_id}", daemon=True
        ).start()
        return True

    def write_verdict(self, execution_id: str, claim: str, verdict: str, reason: str = "") -> None:
        if verdict not in ("go", "stop"):
            raise ValueError(f"verdict must be go or stop, got {verdict!r}")
        self._write(Path(self.verdict_path(execution_id, claim)), f"{verdict} {reason}".strip() + "\n")

    def forget_verdict(self, execution_id: str, claim: str) -> None:
        Path(self.verdict_path(execution_id, claim)).unlink(missing_ok=True)

    def verdict_path(self, execution_id: str, claim: str) -> str:
        """The answer's file, for a caller that polls it (read_verdict)."""
        validate_execution_id(execution_id)
        return str(self._path(f"{execution_id}--{validate_execution_id(claim)}", "verdict"))

    def prune(self, max_age_seconds: float = 86400.0) -> int:
        """Remove cancel markers older than the age, and registrations of groups that are gone."""
        removed = 0
        cutoff = time.time() - max_age_seconds
        for path in self.dir.iterdir():
            try:
                old = path.stat().st_mtime < cutoff
                if path.suffix in (".cancel", ".verdict") and old:
                    path.unlink()
                elif path.suffix == ".pgid" and old and self.pgid(path.stem) is None:
                    path.unlink()
                elif path.name.startswith(".tmp-") and old:
                    path.unlink()
                else:
                    continue
                removed += 1
            except (FileNotFoundError, ValueError):
                continue
        return removed
