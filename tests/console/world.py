"""A small platform's worth of rows for the console tests: tasks of both types and schedules,
runs in every status (one dead with attempts), workers (one stalled, one draining) and an
inbox dead letter in Redis."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tasks_app import states
from tasks_app.models import Run, RunAttempt, Task
from workers_app.models import Worker


def build_world(extra_tasks: int = 0, runs_per_task: int = 3) -> dict:
    now = timezone.now()
    berlin = Task.objects.create(name="nightly-report", type="shell", spec={"command": "echo report"},
                                 schedule={"cron": "30 2 * * *", "timezone": "Europe/Berlin"}, tags=["eu"],
                                 params={"region": "eu", "limit": 5})
    ping = Task.objects.create(name="ping-api", type="http", spec={"url": "http://127.0.0.1:9/ping", "method": "GET"},
                               schedule={"interval_seconds": 300})
    tasks = [berlin, ping] + [Task.objects.create(name=f"extra-{i}", type="shell", spec={"command": "true"})
                              for i in range(extra_tasks)]
    runs = []
    for task in tasks:
        for i, status in enumerate([states.SUCCEEDED, states.FAILED, states.SUCCEEDED][:runs_per_task]):
            at = now - timedelta(minutes=10 * (i + 1))
            runs.append(Run.objects.create(task=task, status=status, trigger="schedule", scheduled_for=at,
                                           created_at=at, started_at=at, finished_at=at + timedelta(seconds=3 + i),
                                           worker="node-1", exit_code=0 if status == states.SUCCEEDED else 1))
    running = Run.objects.create(task=berlin, status=states.RUNNING, trigger="manual", worker="node-1",
                                 started_at=now - timedelta(seconds=20), params={"region": "eu"})
    dead = Run.objects.create(task=berlin, status=states.DEAD, trigger="schedule", attempt=2, worker="node-1",
                              created_at=now - timedelta(hours=1), started_at=now - timedelta(hours=1),
                              finished_at=now - timedelta(minutes=50), error="exit 3: disk full", params={"region": "eu"})
    for attempt in (1, 2):
        RunAttempt.objects.create(run=dead, attempt=attempt, fence=f"f{attempt}", status=states.FAILED, worker="node-1",
                                  started_at=now - timedelta(hours=1), finished_at=now - timedelta(minutes=55),
                                  exit_code=3, error="disk full")
    node1 = Worker.objects.create(worker_id="node-1", host="host-1", node="worker@node-1", concurrency=4, load=0.25,
                                  running=[running.execution_id], queues=["tasks.shell"], tags=["eu"],
                                  consuming=["tasks.shell"], last_heartbeat=now)
    stalled = Worker.objects.create(worker_id="node-2", host="host-2", node="worker@node-2", concurrency=2,
                                    queues=["tasks.http"], stalled_since=now - timedelta(minutes=3), last_heartbeat=now)
    draining = Worker.objects.create(worker_id="node-3", host="host-3", node="worker@node-3", concurrency=2,
                                     status=Worker.Status.DRAINING, drain_requested_at=now, drain_requested_by="user:ops",
                                     drain_deadline=now + timedelta(minutes=10), queues=["tasks.shell"],
                                     last_heartbeat=now)
    redis = get_redis()
    redis.sadd(keys.known_instances(), "ctrl-a")
    letter_id = redis.xadd(keys.dlq("ctrl-a"), {
        "type": "command", "body": json.dumps({"name": "bogus"}), "reason": "unknown command 'bogus'",
        "deliveries": "4", "history": json.dumps([{"consumer": "c1", "error": "InvalidMessage"}]),
        "source_id": "1-0", "moved_at": (now - timedelta(minutes=5)).isoformat()})
    return {"berlin": berlin, "ping": ping, "tasks": tasks, "runs": runs, "running": running, "dead": dead,
            "workers": [node1, stalled, draining], "letter": f"inbox-ctrl-a-{letter_id}"}
