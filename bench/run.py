"""Run the benchmarks and print their ratios against the baselines (not a test: nothing here
passes or fails on a time).

    make bench           # every benchmark, full sizes
    make bench-quick     # the same benchmarks at small sizes (B8 waits for whole minutes: ~5 min of it)
    .venv/bin/python bench/run.py [--quick] [--only B1,B4] [--out FILE]

Services: DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/taskplane_bench, created
and migrated; it is emptied by the benchmarks), REDIS_URL (default redis://127.0.0.1:6379/5),
BENCH_REDIS_BROKER_URL (default redis://127.0.0.1:6379/6) and BENCH_RABBITMQ_URL (default
amqp://guest:guest@127.0.0.1:5672//). Results: bench/results/bench-*.json (gitignored).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Report, calibration, setup_django  # noqa: E402

MODULES = {
    "B1": "bench.b1_throughput",
    "B2": "bench.b2_latency",
    "B3": "bench.b3_scheduler",
    "B4": "bench.b4_inbox",
    "B5": "bench.b5_dlq_sweep",
    "B6": "bench.b6_api",
    "B7": "bench.b7_memory",
    "B8": "bench.b8_fire_precision",
    "B9": "bench.b9_console",
    "B10": "bench.b10_notifications",
}


def main() -> int:
    parser = argparse.ArgumentParser(description="Taskplane benchmarks, side by side with their baselines")
    parser.add_argument("--quick", action="store_true", help="small sizes (B8 still waits for whole cron minutes)")
    parser.add_argument("--only", default="", help="comma-separated benchmarks, e.g. B1,B4")
    parser.add_argument("--out", type=Path, help="where to write the JSON record")
    args = parser.parse_args()
    chosen = [name.strip().upper() for name in args.only.split(",") if name.strip()] or list(MODULES)
    unknown = [name for name in chosen if name not in MODULES]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")

    setup_django()
    report = Report(quick=args.quick)
    failed = []
    for name in chosen:
        print(f"== {name} ({MODULES[name]}) ==", flush=True)
        try:
            importlib.import_module(MODULES[name]).run(report, args.quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
    print("\n" + report.table())
    path = report.write(calibration(os.environ["REDIS_URL"], os.environ.get("DATABASE_URL")), args.out)
    print(f"\nrecord: {path}")
    if failed:
        print(f"benchmarks that raised: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
