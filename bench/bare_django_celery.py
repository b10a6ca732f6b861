"""B7's bare Celery-in-Django: the raw Celery app (bench/raw_celery_app.py) inside
bench/bare_settings.py's minimal Django project. The bare control (`celery -A
bench.bare_django_celery worker --pool threads`) and the bare beat (`... beat -S
django_celery_beat.schedulers:DatabaseScheduler`) run it."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bare_settings")
django.setup()

from bench.raw_celery_app import make_app  # noqa: E402

app = make_app(os.environ["BENCH_BARE_BROKER_URL"], json.loads(os.environ.get("BENCH_RAW_TRANSPORT") or "{}"))


def prepare(queue: str, done_key: str) -> None:
    """Migrate the bare database and give the bare beat one schedule, every second, of the raw
    worker's `true` (the same load as the platform's 1-second interval task)."""
    from django.core.management import call_command
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    call_command("migrate", verbosity=0)
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(name="bench-bare-true", defaults={
        "task": "bench.raw_true", "interval": every, "args": json.dumps([done_key]), "queue": queue})


if __name__ == "__main__":
    import sys

    prepare(*sys.argv[1:3])
