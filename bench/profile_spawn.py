"""What starting a command costs a process the size of a worker child: subprocess.run(["true"])
200 times each way, plain (vfork), with a Python preexec_fn (fork of the whole process, Python in
the copy), and the way run_shell starts commands now (group_guard.spawn: the shell prologue, dash
where it exists, and setpriv; a `command` spec through its own /bin/sh) beside the ways before
(the prologue in bash; a command spec through the prologue); wall time and CPU of the parent and
its children per spawn (docs/performance.md, B1).

    .venv/bin/python bench/profile_spawn.py [--ballast-mb 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N, ROUNDS = 200, 4  # spawns per way, in rounds taken in turn: a noisy machine spreads over all ways


def spawn(argv: list[str], options: dict, n: int) -> tuple[float, float, float]:
    """(wall, parent CPU, children CPU) in seconds for n spawns."""
    cpu, wall, before = time.process_time(), time.perf_counter(), os.times()
    for _ in range(n):
        subprocess.run(argv, start_new_session=True, **options)
    after = os.times()
    children = after.children_user + after.children_system - before.children_user - before.children_system
    return time.perf_counter() - wall, time.process_time() - cpu, children


def measure(ways: dict[str, tuple[list[str], dict]]) -> None:
    totals = {label: [0.0, 0.0, 0.0] for label in ways}
    for argv, options in ways.values():
        spawn(argv, options, 10)  # warm
    for _ in range(ROUNDS):
        for label, (argv, options) in ways.items():
            for i, value in enumerate(spawn(argv, options, N // ROUNDS)):
                totals[label][i] += value
    for label, (wall, cpu, children) in totals.items():
        print(f"{label:36s} wall {wall / N * 1000:.2f} ms, parent CPU {cpu / N * 1000:.2f} ms, "
              f"children CPU {children / N * 1000:.2f} ms per spawn")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast-mb", type=int, default=60, help="live Python objects, as a worker child holds")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    import django

    django.setup()
    from tasks_app.specs import COMMAND_SHELL
    from workers_app.executors import group_guard
    from workers_app.executors.group_guard import guard

    ballast = [bytearray(1024) for _ in range(args.ballast_mb * 1024)]  # noqa: F841  kept alive on purpose
    ways = {"plain (vfork)": (["true"], {}), "preexec_fn (the former way)": (["true"], {"preexec_fn": guard.preexec()})}
    argv, options = guard.spawn(["true"], dict(os.environ))
    ways[f"group_guard.spawn (now: {Path(argv[0]).name})"] = (argv, options)
    command = [COMMAND_SHELL, "-c", "true"]  # a `command` spec: {"command": "true"}
    ways["  a command spec (now: its own sh)"] = guard.spawn(command, dict(os.environ))
    ways["  a command spec (before: prologue)"] = ([*group_guard.SHELL_ARGV, group_guard.PROLOGUE, "g", *command],
                                                   options)
    if group_guard.BASH and group_guard.SHELL != group_guard.BASH:
        ways["the same prologue in bash (before)"] = ([*group_guard.BASH_ARGV, group_guard.PROLOGUE, "g", "true"],
                                                      options)
    measure(ways)

if __name__ == "__main__":
    main()
