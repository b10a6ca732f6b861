"""What Celery's configuration holds: the CELERY_* settings, and nothing else (issue 15 item 1).

Celery answers `inspect conf` and `report` to anyone holding broker credentials, and masks only
values whose *names* look secret. Loading the whole Django settings module (as
`config_from_object("django.conf:settings", namespace="CELERY")` does: the namespace picks which
names Celery reads, not which it lists) would hand out the parsed configuration (`CONFIG`,
`TP`: the database password, API keys, the Django and JWT secrets). So Celery gets a plain dict
of the CELERY_* settings under their Celery names (`CELERY_BROKER_URL` -> `broker_url`), which
also lets Celery's own masking recognise `broker_url` and mask its password.

Imported lazily, by name, when the Celery app is first configured (scheduler_project/celery.py)."""

from __future__ import annotations

from django.conf import settings

PREFIX = "CELERY_"


def celery_settings() -> dict:
    return {name[len(PREFIX):].lower(): getattr(settings, name)
            for name in dir(settings) if name.startswith(PREFIX) and name.isupper()}


CELERY = celery_settings()
