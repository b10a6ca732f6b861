"""Live-looking data for the dashboard tests, in the database and in Redis (under the
shared `redis_prefix` fixture's key prefix, or the platform's)."""

import json
from datetime import timedelta

from django.utils import timezone

from scheduler_project.redis_store.client import get_redis, key
from tasks_app.models import Run, Task
from workers_app.models import Worker


def seed_live_data(redis_client=None, key_fn=key) -> dict:
    """A worker, runs of every kind (one running), instances with a leader, a DLQ stream."""
    now = timezone.now()
    Worker.objects.create(worker_id="node-7", host="host-7", concurrency=4, load=0.25, running=["run-x"],
                          queues=["tasks.shell"], consuming=["tasks.shell"], last_heartbeat=now)
    Worker.objects.create(worker_id="node-8", host="host-8", status="online", stalled_since=now - timedelta(minutes=3),
                          last_heartbeat=now)
    task = Task.objects.create(name="nightly-report", type="shell", spec={"command": "true"})
    running = Run.objects.create(task=task, trigger="manual", status="running", worker="node-7", attempt=2,
                                 started_at=now - timedelta(seconds=42))
    done = [Run.objects.create(task=task, trigger="schedule", status=s, scheduled_for=now - timedelta(minutes=i),
                               worker="node-7", started_at=now - timedelta(seconds=30), finished_at=now)
            for i, s in enumerate(["succeeded", "succeeded", "succeeded", "failed", "dead"], start=1)]
    r = redis_client or get_redis()
    for instance_id, roles in (("ctrl-a", ["api", "control"]), ("ctrl-b", ["control"])):
        record = json.dumps({"instance_id": instance_id, "roles": roles})
        r.set(key_fn("schedulers", "presence", instance_id), record, ex=120)
        r.sadd(key_fn("schedulers", "known"), instance_id)  # as presence.announce does
    r.set(key_fn("schedulers", "leader"), json.dumps({"instance_id": "ctrl-b", "token": 3}), ex=120)
    for n in range(2):
        r.xadd(key_fn("streams", "{instance:ctrl-a}", "dlq"), {"n": n})
    return {"task": task, "running": running, "done": done}
