"""B3's memory probe, run in a fresh process: RSS before and after a scheduler loads every
beat row of the benchmark database. Prints one JSON line.

    python -m bench.b3_memory ours|baseline MAX_INTERVAL
"""

import gc
import json
import secrets
import sys

import psutil


def main(variant: str, max_interval: float) -> None:
    import django

    django.setup()  # the parent's environment: its database (already migrated), its Redis
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from bench.b3_rows import isolate
    from bench.b3_scheduler import BROKER
    from instances_app.scheduler import LeaderScheduler
    from scheduler_project.celery import app
    from scheduler_project.redis_store.client import get_redis

    with isolate(settings, secrets.token_hex(4), BROKER):
        cls = LeaderScheduler if variant == "ours" else DatabaseScheduler
        # What either pays whatever N (connections, lazily imported code) before the first reading.
        PeriodicTask.objects.filter(pk=0).first()
        get_redis().ping()
        app.connection_for_write().ensure_connection(max_retries=1)
        gc.collect()
        before = psutil.Process().memory_info().rss
        scheduler = cls(app=app, max_interval=max_interval)
        scheduler.tick()  # loads (ours: with the lease; stock: its initial read and heap)
        gc.collect()
        after = psutil.Process().memory_info().rss
        entries = len(scheduler.schedule) if variant == "ours" else len(scheduler._schedule)
        if hasattr(scheduler, "_dirty"):
            scheduler._dirty.clear()
        scheduler.close()
    print(json.dumps({"variant": variant, "entries": entries, "growth_mb": (after - before) / 2**20}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
