"""The ping round trip: proof that a worker and this control plane reach each other over the broker."""

import json
import time

from django.conf import settings

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis

PONG_TTL_SECONDS = 3600


def record_pong(token: str, worker_id: str, host: str) -> None:
    payload = {"worker_id": worker_id, "host": host, "control": settings.INSTANCE_ID, "at": time.time()}
    get_redis().set(keys.pong(token), json.dumps(payload), ex=PONG_TTL_SECONDS)
