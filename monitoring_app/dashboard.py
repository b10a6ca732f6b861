"""The numbers of the operators' dashboard, one dict per poll (views.py renders it as HTML
fragments and as JSON).

Every section stands alone: an unreachable Redis or broker marks its own section
unavailable and the rest still shows. Every run query goes through an index (status,
created_at) and is capped, so a poll costs the same on a table of millions of runs.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from instances_app import deadletters, presence
from monitoring_app import readings
from tasks_app import states
from tasks_app.models import Run
from workers_app.models import Worker
from workers_app.services.queues import queue_depths

log = logging.getLogger(__name__)

RUNNING_LIMIT = 50
RECENT_LIMIT = 25
WORKER_LIMIT = 200
QUEUE_DEPTH_TTL = 5.0  # every open dashboard polls; the broker is asked at most this often
QUEUE_DEPTH_TIMEOUT = 3.0  # an unreachable broker must not hold the page


def _section(compute, *args):
    try:
        return {"available": True, **compute(*args)}
    except Exception as exc:  # noqa: BLE001  show the rest of the dashboard
        log.warning("dashboard section %s unavailable: %s", compute.__name__, exc)
        return {"available": False, "error": f"{type(exc).__name__}: {exc}"}


def instances() -> dict:
    items = presence.live_instances()
    return {"items": items, "leader": next((i["instance_id"] for i in items if i["leader"]), None)}


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    return f"{seconds // 60}m" if seconds < 7200 else f"{seconds // 3600}h {seconds % 3600 // 60}m"


def _worker(worker: Worker, now) -> dict:
    return {
        "worker_id": worker.worker_id,
        "host": worker.host,
        "status": worker.status,
        "load_percent": round(worker.load * 100),
        "running": len(worker.running or []),
        "concurrency": worker.concurrency,
        "heartbeat_age_seconds": round(max(0.0, (now - worker.last_heartbeat).total_seconds())),
        "healthy": worker.healthy,
        "stalled_since": worker.stalled_since.isoformat() if worker.stalled_since else None,
        "stalled_for": _age(now - worker.stalled_since) if worker.stalled_since else "",
        "drain_state": worker.drain_state,
        "queues": list(worker.queues or []),
        "admin_url": reverse("admin:workers_app_worker_change", args=[worker.pk]),
    }


def workers(now) -> dict:
    rows = list(Worker.objects.order_by("status", "worker_id")[:WORKER_LIMIT])
    # Offline workers (stopped cleanly) last: the ones that need attention come first.
    rows.sort(key=lambda w: (w.status == Worker.Status.OFFLINE, w.worker_id))
    items = [_worker(w, now) for w in rows]
    online = readings.online_workers()
    return {"items": items, "online": online, "unhealthy": sum(1 for w in items if not w["healthy"]
                                                              and w["status"] != Worker.Status.OFFLINE)}


class _DepthCache:
    """Queue depths, asked of the broker at most every QUEUE_DEPTH_TTL seconds by one thread
    at a time, and waited for at most QUEUE_DEPTH_TIMEOUT seconds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.value: dict | None = None
        self.names: tuple = ()
        self.at = 0.0
        self.worker: threading.Thread | None = None
        self.error = ""

    def get(self, names: tuple) -> dict:
        with self.lock:
            fresh = self.value is not None and self.names == names and time.monotonic() - self.at < QUEUE_DEPTH_TTL
            if not fresh and (self.worker is None or not self.worker.is_alive()):
                self.worker = threading.Thread(target=self._refresh, args=(names,), daemon=True)
                self.worker.start()
            worker = self.worker
        if not fresh and worker is not None:
            worker.join(QUEUE_DEPTH_TIMEOUT)
        with self.lock:
            if self.value is None or self.names != names:
                raise TimeoutError(self.error or f"the broker did not answer within {QUEUE_DEPTH_TIMEOUT:.0f}s")
            return dict(self.value)

    def _refresh(self, names: tuple) -> None:
        try:
            value = queue_depths(names)
        except Exception as exc:  # noqa: BLE001
            with self.lock:
                self.error = f"{type(exc).__name__}: {exc}"
            return
        with self.lock:
            self.value, self.names, self.at, self.error = value, names, time.monotonic(), ""


_depths = _DepthCache()


def queues(worker_items: list[dict]) -> dict:
    mq = settings.TP.message_queue
    names = {mq.control_queue, mq.status_queue, mq.heartbeat_queue}
    names.update(q for w in worker_items for q in w["queues"])
    names.update(Run.objects.filter(status__in=[states.PENDING, states.QUEUED]).exclude(queue="")
                 .order_by().values_list("queue", flat=True).distinct()[:100])
    depths = _depths.get(tuple(sorted(names)))
    items = [{"name": name, "depth": depth} for name, depth in sorted(depths.items())]
    return {"items": items, "total": sum(d for d in depths.values() if d)}


def _run(run: Run, now) -> dict:
    end = run.finished_at or (now if run.status == states.RUNNING else None)
    return {
        "id": run.pk,
        "task": run.task.name,
        "task_id": run.task_id,
        "task_admin_url": reverse("admin:tasks_app_task_change", args=[run.task_id]),
        "status": run.status,
        "attempt": run.attempt,
        "worker": run.worker,
        "trigger": run.trigger,
        "routing_error": run.routing_error,
        "created_at": run.created_at.isoformat(),
        "created": timezone.localtime(run.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        "duration_seconds": round((end - run.started_at).total_seconds(), 1) if end and run.started_at else None,
        "admin_url": reverse("admin:tasks_app_run_change", args=[run.pk]),
    }


def runs(now) -> dict:
    base = Run.objects.select_related("task").defer("stdout", "stderr", "response_headers", "params")
    running = base.filter(status=states.RUNNING).order_by("started_at", "id")[:RUNNING_LIMIT]
    recent = base.order_by("-created_at", "-id")[:RECENT_LIMIT]
    return {
        "running": [_run(r, now) for r in running],
        "recent": [_run(r, now) for r in recent],
        "running_total": readings.running_runs(),
        "waiting": readings.waiting_runs(),
        # Waiting runs that no online worker consumes: they would otherwise wait silently.
        "unroutable": readings.unroutable(),
    }


def failure_rate(now) -> dict:
    return readings.failure_rate(now)


def dead_letters() -> dict:
    runs_dead = readings.dead_runs()
    streams, stream_error = {}, ""
    try:
        streams = deadletters.depths()
    except Exception as exc:  # noqa: BLE001  the runs' count still stands
        stream_error = f"{type(exc).__name__}: {exc}"
    return {
        "runs": runs_dead,
        "streams": [{"instance_id": k, "depth": v} for k, v in streams.items() if v],  # the non-empty ones
        "streams_error": stream_error,
        "total": runs_dead + sum(streams.values()),
        "admin_url": reverse("admin:tasks_app_run_changelist") + f"?status__exact={states.DEAD}",
    }


def snapshot() -> dict:
    now = timezone.now()
    worker_section = _section(workers, now)
    return {
        "generated_at": now.isoformat(),
        "generated": timezone.localtime(now).strftime("%H:%M:%S %Z"),
        "instance_id": settings.INSTANCE_ID,
        "instances": _section(instances),
        "workers": worker_section,
        "queues": _section(queues, worker_section.get("items", [])),
        "runs": _section(runs, now),
        "failure_rate": _section(failure_rate, now),
        "dead_letters": _section(dead_letters),
        "admin": {
            "runs": reverse("admin:tasks_app_run_changelist"),
            "tasks": reverse("admin:tasks_app_task_changelist"),
            "workers": reverse("admin:workers_app_worker_changelist"),
        },
    }
