"""Shared fixtures. The `platform` fixture is the template for every end-to-end test: real
processes on the real broker, with ports, queue names and Redis key prefixes unique to the test,
a deadline on every wait, and every process group reaped at teardown (tests/support/). The rows
tests make come from tests/factories.py."""

from __future__ import annotations

import secrets

import pytest

from tests import factories
from tests.support.platform import Platform


@pytest.fixture
def make_task(db):
    return factories.task


@pytest.fixture
def make_run(db):
    return factories.run


@pytest.fixture
def make_worker(db):
    return factories.worker


@pytest.fixture
def no_publish(monkeypatch):
    """Unit tests of the engine: record what would be published instead of talking to a broker."""
    from celery import current_app

    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append((name, kw)))
    return sent


@pytest.fixture
def own_status_queue(settings):
    """A status queue of this test's own on the configured broker: the registry sweep's rule 2
    reads its depth (a report still queued is not silence), which another test's leftovers in the
    shared default queue must not decide."""
    import uuid

    mq = settings.TP.message_queue.model_copy(update={"status_queue": f"status-test-{uuid.uuid4().hex[:8]}"})
    settings.TP = settings.TP.model_copy(update={"message_queue": mq})
    return mq.status_queue


@pytest.fixture
def platform(tmp_path, transactional_db, settings, request):
    """An isolated platform whose processes the test starts with platform.start(mode).

    The test process itself takes the platform's configuration too, so what it triggers is
    routed to the platform's queues and keys.
    """
    instance = Platform(tmp_path)
    settings.CONFIG = instance.config
    settings.TP = instance.config.settings
    yield instance
    instance.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(instance.logs())


@pytest.fixture
def redis_prefix(settings):
    """A key prefix of the test's own, so tests sharing a Redis server never see each other's keys."""
    unique = f"tp-unit-{secrets.token_hex(4)}"
    p2 = settings.TP.scheduler.phase2
    settings.TP = settings.TP.model_copy(update={"scheduler": settings.TP.scheduler.model_copy(update={
        "phase2": p2.model_copy(update={"redis": p2.redis.model_copy(update={"key_prefix": unique})})})})
    yield unique
    from scheduler_project.redis_store.client import get_redis

    client = get_redis()
    for name in list(client.scan_iter(match=f"{unique}:*", count=1000)):
        client.delete(name)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
