"""Redis in the tests: counting round trips, an inbox's consumers, per-test phase2 settings."""

from __future__ import annotations

from contextlib import contextmanager

import redis

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis


@contextmanager
def counting_round_trips():
    """Counts the commands (or pipelines) this process sends to any Redis server meanwhile."""
    sent = {"round trips": 0}
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent["round trips"] += 1
        return original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counting
    try:
        yield sent
    finally:
        redis.connection.AbstractConnection.send_packed_command = original


def inbox_consumers(instance_id: str) -> list[dict]:
    """The consumers of an instance's inbox group; [] until its reader has created them."""
    from django.conf import settings

    try:
        return get_redis().xinfo_consumers(keys.inbox(instance_id), settings.TP.scheduler.phase2.stream_group)
    except redis.ResponseError:  # no stream or no group yet
        return []


def phase2_settings(settings, **values):
    """Override [scheduler.phase2] keys for one test."""
    p2 = settings.TP.scheduler.phase2.model_copy(update=values)
    settings.TP = settings.TP.model_copy(update={"scheduler": settings.TP.scheduler.model_copy(update={"phase2": p2})})
