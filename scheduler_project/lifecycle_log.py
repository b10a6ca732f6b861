"""The key log events of the multi-instance guide, on the logger `taskplane.instances`:

- "instance started" (the guide's "Phase2 enabled"), with instance_id and roles: `serve`;
- "Redis connected" (or "Redis connection failed" at ERROR), once per long-running
  process that uses the multi-instance Redis: api workers, dispatcher, control;
- "Enqueued to instance inbox": instances_app logs it on the same logger.
"""

from __future__ import annotations

import logging

from django.conf import settings

from scheduler_project.config.secrets import redact_url
from scheduler_project.redis_store.client import get_counting_redis

log = logging.getLogger("taskplane.instances")


def log_instance_started(instance_id: str, roles: list[str], phase2_enabled: bool) -> None:
    log.info("instance started", extra={"instance_id": instance_id, "roles": ",".join(roles),
                                        "phase2_enabled": phase2_enabled})


def announce_redis() -> bool:
    """Ping the multi-instance Redis and say whether this process reaches it."""
    p2 = settings.TP.scheduler.phase2.redis
    where = ",".join(redact_url(u) for u in p2.cluster_urls) if p2.mode == "cluster" else redact_url(settings.CONFIG.redis_url)
    try:
        get_counting_redis().ping()
    except Exception as exc:  # noqa: BLE001
        log.error("Redis connection failed: %s", exc, extra={"redis": where, "redis_mode": p2.mode})
        return False
    log.info("Redis connected", extra={"redis": where, "redis_mode": p2.mode, "key_prefix": p2.key_prefix})
    return True


def connect_celery_signals() -> None:
    """The dispatcher (beat) and control (worker) roles announce Redis once they are up;
    worker nodes hold no Redis connection and stay silent."""
    from celery.signals import beat_init, worker_ready

    def on_ready(**kwargs):
        if settings.ROLE in ("control", "dispatcher"):
            announce_redis()

    worker_ready.connect(on_ready, weak=False, dispatch_uid="taskplane-redis-connected-worker")
    beat_init.connect(on_ready, weak=False, dispatch_uid="taskplane-redis-connected-beat")
