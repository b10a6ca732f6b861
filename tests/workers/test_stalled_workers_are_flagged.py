"""The "alive but not consuming" worker: heartbeats arrive, nothing starts, its queue has a
backlog. Checked against the real broker's queue depth."""

import datetime as dt
import secrets

from celery import current_app
from django.utils import timezone

from workers_app.models import Worker
from workers_app.services import evaluate_health
from workers_app.services.queues import queue_depths


def test_a_worker_idle_over_a_backlog_is_flagged_and_cleared_when_it_moves(beat, orders, settings):
    queue = f"tasks-stall-{secrets.token_hex(4)}.shell"
    for _ in range(3):
        current_app.send_task("workers.ping", args=["x"], queue=queue)
    assert queue_depths([queue])[queue] == 3

    old = timezone.now() - dt.timedelta(seconds=settings.TP.dispatcher.worker_stall_seconds + 10)
    beat("idle", queues=[queue], consuming=[queue], executions_started=5)
    Worker.objects.update(progress_at=old)
    assert evaluate_health() == ["idle"]
    assert Worker.objects.get().stalled_since is not None and not Worker.objects.get().healthy
    assert ("add", queue, ["worker@idle"]) in orders  # and it is asked to consume again

    beat("idle", queues=[queue], consuming=[queue], executions_started=6)  # it took work
    assert Worker.objects.get().stalled_since is None


def test_an_idle_worker_with_nothing_to_do_is_healthy(beat, orders, settings):
    queue = f"tasks-empty-{secrets.token_hex(4)}.shell"
    beat("quiet", queues=[queue], consuming=[queue])
    Worker.objects.update(progress_at=timezone.now() - dt.timedelta(days=1))
    assert evaluate_health() == []
    assert Worker.objects.get().healthy
