"""A drain written while the workers sweep applies heartbeats (after it read the rows, before
its bulk write) stays: the sweep's write must not put the status it read back (it did: the
drain was silently undone, and the next heartbeat told the node to consume again)."""

from django.utils import timezone

from tests.factories import heartbeat
from workers_app.models import Worker
from workers_app.services import draining, liveness


def test_the_sweep_does_not_undo_a_drain(make_worker, monkeypatch, redis_prefix):
    heartbeat("w1", queues=["tasks.shell"], consuming=["tasks.shell"])
    monkeypatch.setattr(draining.remote, "stop_consuming", lambda node, queues: None)
    monkeypatch.setattr(liveness, "reconcile", lambda *args: None)
    real_bulk_create = Worker.objects.bulk_create

    def drain_meanwhile(*args, **kwargs):  # between the sweep's read and its bulk update
        draining.drain("w1", by="ops", deadline_seconds=60)
        return real_bulk_create(*args, **kwargs)

    monkeypatch.setattr(Worker.objects, "bulk_create", drain_meanwhile)
    liveness.apply_heartbeats([{"worker_id": "w1", "node": "worker@w1", "concurrency": 2, "running": [],
                                "at": timezone.now().isoformat(), "queues": ["tasks.shell"], "consuming": []}])
    worker = Worker.objects.get(worker_id="w1")
    assert worker.status == Worker.Status.DRAINING and worker.drain_requested_by == "ops"
    assert worker.consuming == []  # the heartbeat itself was applied
