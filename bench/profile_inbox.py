"""Where the platform's enqueue spends its time next to a raw XADD (docs/performance.md, B4):
client CPU per message of each, and under cProfile the share of its per-message INFO line.

    .venv/bin/python bench/profile_inbox.py [messages]
"""

from __future__ import annotations

import cProfile
import logging
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import median, setup_django  # noqa: E402


def main(m: int) -> None:
    setup_django()
    from bench.b4_inbox import Platform, Raw
    from bench.inbox_common import logs_to_devnull, phase2_for_bench, sample_body
    from scheduler_project.redis_store import keys

    bodies = [sample_body(n) for n in range(m)]
    logger = logging.getLogger("taskplane.instances")
    with phase2_for_bench(stream_maxlen=max(10_000, m)), logs_to_devnull():
        ours, raw = Platform("profile-ours"), Raw(keys.inbox("profile-raw"))

        def cpu_per_message(side, quiet=False) -> float:
            side.reset()
            logger.disabled = quiet
            try:
                started = time.process_time()
                side.produce(bodies)
                return (time.process_time() - started) / m * 1e6
            finally:
                logger.disabled = False

        found = {"raw XADD": [], "enqueue": [], "enqueue, INFO line off": []}
        for _ in range(5):
            found["raw XADD"].append(cpu_per_message(raw))
            found["enqueue"].append(cpu_per_message(ours))
            found["enqueue, INFO line off"].append(cpu_per_message(ours, quiet=True))
        for name, values in found.items():
            print(f"client CPU per message, {name}: {median(values):.1f} us (median of 5)")

        ours.reset()
        profile = cProfile.Profile(time.process_time)
        profile.runcall(ours.produce, bodies)
        stats = pstats.Stats(profile)
        total = stats.total_tt
        logging_time = next(v[3] for k, v in stats.stats.items() if k[2] == "info" and "logging" in k[0])
        print(f"under cProfile: enqueue {total / m * 1e6:.1f} us per message, of which the INFO line "
              f"{logging_time / m * 1e6:.1f} us ({logging_time / total:.0%})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
