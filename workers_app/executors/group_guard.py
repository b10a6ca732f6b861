"""A command never outlives the process that runs it (issue 14, guarantee 8).

A shell command runs in a session (process group) of its own, so that a cancel or a timeout can
kill all of it, and so that a kill -9 of the node's own process group does not reach it. The
price: nothing ties its lifetime to the node. If the process that started it (a prefork pool
child, or the node's main process under another pool) dies without cleaning up (kill -9, OOM),
the command would live on while the control role concludes the run lost and retries it elsewhere:
two executions of one run at once.

Two mechanisms close that, both Linux-only and both best effort where unavailable:

1. The guard. Each process that starts commands has one small guard process (lazily started,
   `python -I -S`, in a session of its own so a kill of the node's group does not take it too).
   The starting process holds the only write end of a pipe to the guard's stdin. Each command's
   group id is registered ("+pgid") by the command itself between fork and exec (preexec: before
   it can fork anything, so there is no window where it runs unregistered) and unregistered
   ("-pgid") once run_shell has emptied the group. When the starting process dies, however it
   dies, the kernel closes its end of the pipe: the guard reads EOF, SIGKILLs every group still
   registered, and exits. Commands do not inherit the pipe (close_fds; the fd is not
   inheritable), so only the starting process keeps it open. A dead group whose pgid is still
   registered is skipped (killpg on an empty group fails), and run_shell unregisters a group
   only after it is empty, so a reused pid is never signalled.
2. PR_SET_PDEATHSIG(SIGKILL) on the command's group leader, set in the same preexec: should the
   guard itself be missing (killed, could not start), the leader still dies with its parent's
   thread. It alone would leave the leader's children running, hence the guard.

A command that leaves its process group (setsid, daemonizing) escapes both, as it escapes
cancel and timeout: that is documented (README, docs/architecture.md).

How a command is started (spawn()): a Python preexec_fn makes subprocess fork the whole worker
process and run Python in the child before exec, about 11 ms of CPU (parent and children) per
start of `true` from a process the size of a worker child, where a plain spawn (vfork) costs
0.9 ms (bench/profile_spawn.py). So where a shell and util-linux's setpriv exist (Debian has
dash, bash and setpriv: essential packages), the command starts through a small shell prologue
instead, at about 2.4 ms with dash (3.1 ms with bash): the guard's pipe is the prologue's
stdin; it writes "+$$" (its own pid, the group id) to it, puts /dev/null in its place (what the
command gets as stdin, as before), and execs `setpriv --pdeathsig KILL --` the command. A
`command` spec (`/bin/sh -c <command>`) saves one exec more: setpriv execs that shell, which
runs the registration and then the command (SCRIPT_PROLOGUE). Same order as the preexec either
way: registered before anything of the command runs, and the guard cannot see EOF before the
registration, since the prologue holds a copy of the pipe until it wrote it. Where setpriv or
both shells are missing, or the command's environment would change what bash does
(bash_would_be_changed_by: checked for dash too, where /bin/sh is bash under another name), the
preexec_fn as before.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading

from tasks_app.specs import COMMAND_SHELL

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1

# The guard's whole program: no imports beyond the standard library's builtins, no site.
GUARD_PROGRAM = r"""
import os, signal, sys
groups = set()
for line in sys.stdin.buffer:
    try:
        op, pgid = line[:1], int(line[1:])
    except ValueError:
        continue
    if op == b"+":
        groups.add(pgid)
    elif op == b"-":
        groups.discard(pgid)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""

try:  # resolved here, not in the forked child: between fork and exec we only call it
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


BASH, DASH, SETPRIV = shutil.which("bash"), shutil.which("dash"), shutil.which("setpriv")
# The prologue's shell: dash costs 0.75 ms less CPU per command than bash (bench/profile_spawn.py).
SHELL = DASH or BASH
BASH_ARGV = [BASH, "--norc", "--noprofile", "-c"]
SHELL_ARGV = [DASH, "-c"] if DASH else BASH_ARGV
# POSIX sh. Its stdin is the guard's pipe (fd 0: POSIX redirects only to fds 0-9, and Popen can
# put a descriptor only there); `0<>/dev/null` then closes the prologue's copy of the pipe, so
# the command inherits no copy. A guard that died meanwhile must not stop the command (SIGPIPE
# ignored for the write, default again for the exec): PDEATHSIG still holds for the leader, as
# with the preexec.
REGISTER = "trap '' PIPE; printf '+%d\\n' \"$$\" >&0; exec 0<>/dev/null; trap - PIPE; "
PROLOGUE = REGISTER + f"exec {shlex.quote(SETPRIV or 'setpriv')} --pdeathsig KILL -- \"$@\""
# A `command` spec runs as `/bin/sh -c <command>` (tasks_app.specs.shell_command): there the
# command's own shell can be the prologue's, one exec less (0.6 ms of CPU): setpriv execs
# `/bin/sh -c <REGISTER, then the command>` (PDEATHSIG survives the exec). The command is eval'd
# after the registration, as `sh -c` would run it: $0 is /bin/sh, no positional parameters (the
# shift), its exit status the shell's. What differs: the shell's own messages name eval
# ("/bin/sh: 1: eval: nosuchcmd: not found", "... eval: Syntax error: ..."; README says so).
SCRIPT_PROLOGUE = REGISTER + 'eval "shift; $1"'


# What in an environment changes what bash itself does before it runs the prologue's first word:
# a file it sources (BASH_ENV), its options (SHELLOPTS: xtrace would write the prologue into the
# command's stderr; BASHOPTS), and exported functions (BASH_FUNC_*), which would stand in for the
# prologue's printf or exec. The prologue runs with the command's environment, so a command whose
# environment (the task's, or the worker's own) sets one of them starts through the preexec_fn
# instead: it pays the slow start, and gets exactly its own environment. (ENV, a common name for
# other things, is read only by an interactive shell in POSIX mode: not by `bash -c`.)
BASH_READS = frozenset({"BASH_ENV", "SHELLOPTS", "BASHOPTS"})


def bash_would_be_changed_by(env: dict[str, str]) -> bool:
    return any(name in BASH_READS or name.startswith("BASH_FUNC_") for name in env)


class GroupGuard:
    """The guard of the current process (see the module's docstring). Fork-aware: a process
    forked from one that had a guard starts its own on first use."""

    def __init__(self):
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.owner = 0  # the pid that started self.process

    def _fd(self) -> int | None:
        """The write end of the pipe to a live guard of this process, starting one if needed."""
        with self.lock:
            if self.process is not None and (self.owner != os.getpid() or self.process.poll() is not None):
                if self.owner == os.getpid():
                    self.process.stdin.close()
                self.process = None  # a forked copy's or a dead guard: not ours to use
            if self.process is None:
                try:
                    self.process = subprocess.Popen(
                        [sys.executable, "-I", "-S", "-c", GUARD_PROGRAM], stdin=subprocess.PIPE,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                        close_fds=True,
                    )
                    self.owner = os.getpid()
                except OSError as exc:
                    log.error("no command guard (commands only die with their leader): %s", exc)
                    return None
            return self.process.stdin.fileno()

    def preexec(self):
        """The preexec_fn for a command's Popen (with start_new_session=True: its pid is its
        group id). Runs in the child between fork and exec: only async-signal-safe-ish work,
        and it must never raise (Popen would fail)."""
        fd = self._fd()
        parent = os.getpid()

        def in_child() -> None:
            if _prctl is not None:
                _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                if os.getppid() != parent:  # the parent died before prctl: die now
                    os._exit(255)
            if fd is not None:
                try:
                    os.write(fd, b"+%d\n" % os.getpid())
                except OSError:
                    pass  # the guard is gone; PDEATHSIG still holds for the leader
        return in_child

    def spawn(self, argv: list[str], env: dict[str, str]) -> tuple[list[str], dict]:
        """(argv, Popen keyword arguments, stdin among them) to start a command with this
        environment under the guard, in a session of its own (start_new_session=True is the
        caller's); the command's stdin is /dev/null either way. See the module's docstring."""
        fd = self._fd()
        if fd is None or _prctl is None or not (SHELL and SETPRIV) or bash_would_be_changed_by(env):
            return argv, {"preexec_fn": self.preexec(), "stdin": subprocess.DEVNULL}
        if len(argv) == 3 and argv[:2] == [COMMAND_SHELL, "-c"]:
            return [SETPRIV, "--pdeathsig", "KILL", "--", COMMAND_SHELL, "-c", SCRIPT_PROLOGUE, COMMAND_SHELL, argv[2]], \
                {"stdin": fd}
        return [*SHELL_ARGV, PROLOGUE, "taskplane-guard", *argv], {"stdin": fd}

    def release(self, pgid: int) -> None:
        """The group is empty (run_shell killed it): stop guarding it."""
        with self.lock:
            process = self.process if self.owner == os.getpid() else None
        if process is None:
            return
        try:
            os.write(process.stdin.fileno(), b"-%d\n" % pgid)
        except (OSError, ValueError):
            pass


guard = GroupGuard()
