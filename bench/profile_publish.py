"""What one publish costs on the Redis broker: kombu's Producer.publish of a status-event-sized
body 1,000 times through kombu's own Redis transport and through ours
(scheduler_project/redis_transport.py: one client per channel), alternating four times; CPU per
publish (docs/performance.md, B1).

    .venv/bin/python bench/profile_publish.py [redis://127.0.0.1:6379/5]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kombu import Connection, Exchange, Queue  # noqa: E402

BODY = {"kind": "finished", "run_id": 123456, "attempt": 1, "fence": "abcdef123456", "worker": "vm", "node": "worker@vm",
        "task_id": 42, "task": "bench-true", "at": "2026-12-06T03:00:00+00:00", "status": "succeeded", "exit_code": 0}
TRANSPORTS = {"kombu's": "kombu.transport.redis:Transport", "ours": "scheduler_project.redis_transport:Transport"}


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/5"
    queue = Queue("bench-publish-scratch", Exchange("bench-publish-scratch"), "bench-publish-scratch")
    figures: dict[str, list[float]] = {}
    for _ in range(4):
        for name, transport in TRANSPORTS.items():
            with Connection(url, transport=transport) as connection:
                producer = connection.Producer()
                for _ in range(50):
                    producer.publish(BODY, routing_key=queue.routing_key, declare=[queue], serializer="json")
                cpu = time.process_time()
                for _ in range(1000):
                    producer.publish(BODY, routing_key=queue.routing_key, serializer="json")
                figures.setdefault(name, []).append((time.process_time() - cpu) / 1000 * 1000)
    with Connection(url, transport=TRANSPORTS["ours"]) as connection:
        queue(connection.default_channel).delete()
    for name, values in figures.items():
        print(f"{name:8s} " + " ".join(f"{v:.3f}" for v in values) + " ms CPU per publish")


if __name__ == "__main__":
    main()
