"""B8's stock side: N django-celery-beat rows in the bare project's scratch database
(bench/bare_settings.py), each a crontab due at one minute, sending the raw Celery task
`bench.raw_true_latency(key, due)` to the raw worker's queue: what a Django shop writes for N
cron jobs. Run as a process of its own (the bare project is another Django settings module):

    python -m bench.b8_stock_rows N QUEUE KEY DUE_EPOCH      # BENCH_BARE_DATABASE_URL names the database
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

import django

BATCH = 5000


def main(n: int, queue: str, key: str, due: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
    django.setup()
    from django.core.management import call_command
    from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

    call_command("migrate", verbosity=0)
    PeriodicTask.objects.all().delete()  # the previous repetition's rows
    at = datetime.fromtimestamp(due, UTC)
    cron, _ = CrontabSchedule.objects.get_or_create(
        minute=str(at.minute), hour=str(at.hour), day_of_month="*", month_of_year="*", day_of_week="*",
        timezone="UTC")
    PeriodicTask.objects.bulk_create([
        PeriodicTask(name=f"b8-stock-{i}", task="bench.raw_true_latency", args=json.dumps([key, due]), queue=queue,
                     crontab=cron, enabled=True)
        for i in range(n)], batch_size=BATCH)
    PeriodicTasks.update_changed()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]))
