"""What B4 (inbox delivery) and B5 (DLQ sweep) share: the platform's phase2 settings with a key
prefix of the run's own, a no-op message type registered with the inbox, a raw redis-py client
for the baselines, and log output sent to /dev/null while measuring.

The log lines are still formatted and written (the platform's per-message "Enqueued to instance
inbox" is part of what it costs); only the terminal is spared 100k of them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets

NOOP_TYPE = "bench.noop"


def noop(instance_id: str, body: dict) -> None:
    return None


def sample_body(n: int) -> dict:
    """About the size of a live run event routed to a session (the inbox's commonest message)."""
    return {"sessions": ["s-3f2a9c"], "event": {"run_id": n, "task_id": 17, "status": "running", "attempt": 1,
                                                "worker": "node-a:4242", "at": "2026-01-01T00:00:00+00:00"}}


@contextlib.contextmanager
def phase2_for_bench(**values):
    """settings.TP with [scheduler.phase2] overridden and a unique key_prefix; yields the prefix.
    Restores the settings and deletes every key under the prefix afterwards, even on error."""
    from django.conf import settings

    from instances_app import inbox
    from scheduler_project.redis_store.client import get_redis

    prefix = f"tp-bench-{secrets.token_hex(4)}"
    saved = settings.TP
    p2 = saved.scheduler.phase2
    p2 = p2.model_copy(update={**values, "redis": p2.redis.model_copy(update={"key_prefix": prefix})})
    settings.TP = saved.model_copy(update={"scheduler": saved.scheduler.model_copy(update={"phase2": p2})})
    previous_handler = inbox.HANDLERS.get(NOOP_TYPE)
    inbox.HANDLERS[NOOP_TYPE] = noop
    try:
        yield prefix
    finally:
        try:
            client = get_redis()
            for name in list(client.scan_iter(match=f"{prefix}:*", count=1000)):
                client.delete(name)
        finally:
            settings.TP = saved
            if previous_handler is None:
                inbox.HANDLERS.pop(NOOP_TYPE, None)
            else:
                inbox.HANDLERS[NOOP_TYPE] = previous_handler


def raw_client():
    """A plain redis-py client on the same server as the platform's, as a raw loop would make it."""
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.TP.scheduler.phase2.redis.url or settings.CONFIG.redis_url,
                                decode_responses=True)


@contextlib.contextmanager
def logs_to_devnull():
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)
                and not isinstance(h, logging.FileHandler)]
    with open(os.devnull, "w") as sink:
        previous = [h.stream for h in handlers]
        for handler in handlers:
            handler.setStream(sink)
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous):
                handler.setStream(stream)
