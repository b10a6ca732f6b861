"""What starting a command costs a process the size of a worker child: subprocess.run(["true"])
200 times each way, plain (vfork), with a Python preexec_fn (fork of the whole process, Python in
the copy), and the way run_shell starts commands now (group_guard.spawn: the shell prologue, dash
where it exists, and setpriv) beside the same prologue run by bash (the way before); wall time
and CPU of the parent and its children per spawn (docs/performance.md, B1).

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

N = 200


def measure(label: str, argv: list[str], **options) -> None:
    for _ in range(10):
        subprocess.run(argv, start_new_session=True, **options)
    cpu, wall, before = time.process_time(), time.perf_counter(), os.times()
    for _ in range(N):
        subprocess.run(argv, start_new_session=True, **options)
    after = os.times()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    children = after.children_user + after.children_system - before.children_user - before.children_system
    print(f"{label:34s} wall {wall / N * 1000:.2f} ms, parent CPU {cpu / N * 1000:.2f} ms, "
          f"children CPU {children / N * 1000:.2f} ms per spawn")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast-mb", type=int, default=60, help="live Python objects, as a worker child holds")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    import django

    django.setup()
    from workers_app.executors import group_guard
    from workers_app.executors.group_guard import guard

    ballast = [bytearray(1024) for _ in range(args.ballast_mb * 1024)]  # noqa: F841  kept alive on purpose
    measure("plain (vfork)", ["true"])
    measure("preexec_fn (the former way)", ["true"], preexec_fn=guard.preexec())
    argv, options = guard.spawn(["true"], dict(os.environ))
    measure(f"group_guard.spawn (now: {Path(argv[0]).name})", argv, **options)
    if group_guard.BASH and argv[0] != group_guard.BASH:
        group_guard.SHELL_ARGV = [group_guard.BASH, "--norc", "--noprofile", "-c"]
        argv, options = guard.spawn(["true"], dict(os.environ))
        measure("the same prologue in bash (before)", argv, **options)


if __name__ == "__main__":
    main()
