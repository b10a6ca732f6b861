"""What a pool child spends, per run, on its node's files while it waits for its start claim's
answer (docs/performance.md, B1): one poll of the answer and the cancel marker, the way
claim_start polls them now (plain os calls on paths built once) and the way it did before
(pathlib paths built and read on each poll); and the node's registry as registry_for gives it
now (made and checked once per NODE_DIRS_CHECK_SECONDS) against building it on each call.
CPU per call, alternating the two ways four times.

    .venv/bin/python bench/profile_claim.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workers_app import execution  # noqa: E402
from workers_app.executors.execution_registry import ExecutionRegistry, read_verdict  # noqa: E402

EXECUTION, CLAIM, NODE = "run-1-a1-0123456789ab", "0123456789abcdef", "worker@profile"


def cpu_per_call(fn, calls: int) -> float:
    cpu = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - cpu) / calls * 1e6


def main() -> None:
    os.environ["TASKPLANE_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="tp-profile-claim-")
    registry = execution.registry_for(NODE)
    verdict_file, cancel_file = registry.verdict_path(EXECUTION, CLAIM), registry.cancel_path(EXECUTION)

    def poll_before():
        try:
            (registry.dir / f"{EXECUTION}--{CLAIM}.verdict").read_text()
        except FileNotFoundError:
            pass
        (registry.dir / f"{EXECUTION}.cancel").exists()

    def poll_now():
        read_verdict(verdict_file)
        os.path.exists(cancel_file)

    def registry_before():
        ExecutionRegistry(Path(os.environ["TASKPLANE_RUNTIME_DIR"]) / NODE.replace("@", "_"))

    def registry_now():
        execution.registry_for(NODE)

    pairs = {"one poll of the claim's answer": (poll_before, poll_now),
             "the node's registry": (registry_before, registry_now)}
    for what, (before, now) in pairs.items():
        figures = {"before": [], "now": []}
        for _ in range(4):
            figures["before"].append(cpu_per_call(before, 5000))
            figures["now"].append(cpu_per_call(now, 5000))
        print(f"{what}: " + "; ".join(f"{name} " + " ".join(f"{v:.1f}" for v in values)
                                      for name, values in figures.items()) + " us CPU per call")


if __name__ == "__main__":
    main()
