"""B1's realistic peer: the minimal Django project of bench/bare_settings.py plus
django-celery-results, the way a Django shop gets a durable record of each Celery task (its
database result backend, `task_track_started`). Persistent database connections
(CONN_MAX_AGE), as such a shop would configure a worker; BENCH_BARE_DATABASE_URL names the
database, on the same PostgreSQL as ours."""

from bench.bare_settings import *  # noqa: F403
from bench.bare_settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_celery_results"]
DATABASES["default"]["CONN_MAX_AGE"] = 600
