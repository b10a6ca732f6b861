"""Where a run's CPU goes, process by process, on one broker (docs/performance.md, B1): N runs of
`true` triggered from this process against B1's platform (`serve --mode control` and `--mode
worker`, the raw Celery worker idling beside them as a bystander on the same broker), timed until
all are final; CPU per run of each process group (the trigger is `bench`; `raw-worker` is an
idle Celery worker of another application, which hears whatever is broadcast to every node),
and on Redis the broker's commands per run. One warm-up round of 20 runs first, not counted.

    .venv/bin/python bench/profile_run_cpu.py [runs] [--broker redis|rabbitmq]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import setup_django  # noqa: E402


def command_calls(client) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in client.info("commandstats").items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=800)
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    args = parser.parse_args()
    setup_django()
    import redis

    from bench import brokers

    brokers.empty_engine_tables()
    with brokers.side_by_side(args.broker) as pair:
        brokers.wait_runs_final(brokers.trigger_runs(pair.task, 20), 60)
        time.sleep(1)
        server = redis.Redis.from_url(pair.platform.config.broker_url) if args.broker == "redis" else None
        groups = pair.groups()
        calls_before = command_calls(server) if server else {}
        cpu_before, began = brokers.cpu_seconds(groups), time.perf_counter()
        brokers.wait_runs_final(brokers.trigger_runs(pair.task, args.runs), 60 + args.runs)
        elapsed = time.perf_counter() - began
        cpu = brokers.cpu_split(cpu_before, brokers.cpu_seconds(groups))
        calls_after = command_calls(server) if server else {}
    print(f"{args.broker}: {args.runs} runs, {args.runs / elapsed:.1f} runs/s")
    per_run = {name: seconds * 1000 / args.runs for name, seconds in cpu.items() if seconds}
    for name, ms in sorted(per_run.items(), key=lambda item: -item[1]):
        print(f"  {name:20s} {ms:6.2f} ms of CPU per run")
    ours = sum(ms for name, ms in per_run.items() if not name.startswith("raw-worker"))
    print(f"  {'all but the bystander':20s} {ours:6.2f} ms")
    if server:
        print("Redis commands per run (the broker's server, every client):")
        for name, after in sorted(calls_after.items(), key=lambda item: item[1] - calls_before.get(item[0], 0),
                                  reverse=True):
            count = (after - calls_before.get(name, 0)) / args.runs
            if count >= 0.01:
                print(f"  {name:20s} {count:6.2f}")


if __name__ == "__main__":
    main()
