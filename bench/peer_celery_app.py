"""B1's realistic peer: Celery as a Django shop runs it to keep a durable record of each task.
django-celery-results' database backend (`result_backend = "django-db"`) on the same PostgreSQL,
`task_track_started=True` (a STARTED row, then the SUCCESS row), acks_late and
reject_on_worker_lost, JSON; the task runs the same `subprocess.run(["true"])` as the raw
baseline and our shell run.

    celery -A bench.peer_celery_app worker ...   # BENCH_PEER_BROKER_URL, BENCH_BARE_DATABASE_URL

Completion is the record itself: the benchmark counts SUCCESS rows in the results table.
"""

from __future__ import annotations

import json
import os
import subprocess

import django
from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peer_settings")
django.setup()

app = Celery("taskplane_bench_peer", broker=os.environ["BENCH_PEER_BROKER_URL"])
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],
    result_backend="django-db", task_track_started=True,
    task_acks_late=True, task_reject_on_worker_lost=True,
    broker_transport_options=json.loads(os.environ.get("BENCH_RAW_TRANSPORT") or "{}"),
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False, worker_send_task_events=False,
)


@app.task(name="bench.peer_true")
def peer_true() -> None:
    subprocess.run(["true"], check=False)


def prepare() -> None:
    """Migrate the peer's database (django-celery-results' tables)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


if __name__ == "__main__":
    prepare()
