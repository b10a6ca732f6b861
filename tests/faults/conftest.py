"""Fixtures of the fault-injection suite (issue 14). README "Fault-injection tests" says how to
run it: `pytest -m faults` (`make test` leaves it out: pyproject's addopts say `-m "not faults"`).

- `broker`: a PRIVATE broker on free ports, parametrized: a redis-server (`[redis]`) or a RabbitMQ
  node (`[rabbitmq]`); `.stop()`, `.kill()`, `.start()`, `.restart(down_seconds)`.
  A test for one broker only: `@pytest.mark.parametrize("broker", ["redis"], indirect=True)`.
- `state_redis`: a private redis-server for the multi-instance state (REDIS_URL), apart from the
  broker, so either can be cut alone.
- `command_log`: tests.faults.harness.CommandLog in the test's directory; every command still
  alive at teardown is killed.
- `fault_platform`: tests.support.platform.Platform on these services; this test process publishes to
  the same broker and reads the same Redis.
"""

from __future__ import annotations

import pytest

from tests.faults import harness
from tests.support.celery import point_celery
from tests.support.platform import Platform


@pytest.fixture
def command_log(tmp_path):
    log = harness.CommandLog(tmp_path / "commands.log")
    log.watch()
    yield log
    log.stop_watching()
    log.kill_leftovers()


@pytest.fixture
def state_redis(tmp_path):
    server = harness.PrivateRedis(tmp_path, "state-redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request, tmp_path):
    if request.param == "rabbitmq":
        if not (harness.rabbitmq_server_binary() and harness.rabbitmqctl_binary()):
            pytest.skip("rabbitmq-server is not installed")
        server = harness.PrivateRabbit(tmp_path, "rabbit")
    else:
        server = harness.PrivateRedis(tmp_path, "broker-redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def fault_platform(tmp_path, transactional_db, settings, request, broker, state_redis, command_log):
    from scheduler_project.celery import app
    from scheduler_project.config import load_config

    platform = Platform(tmp_path)
    platform.env.update(broker.broker_env(), REDIS_URL=state_redis.url(0))
    platform.config = load_config(env=platform.env)
    platform.broker, platform.state_redis, platform.command_log = broker, state_redis, command_log
    settings.CONFIG, settings.TP = platform.config, platform.config.settings
    saved = app.conf.broker_url, app.conf.broker_transport_options
    point_celery(app, platform.config.broker_url, platform.config.settings.message_queue.transport_options())
    try:
        yield platform
    finally:
        platform.stop()
        point_celery(app, *saved)
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(f"----- digest (test-side events are in the captured stdout above) -----\n{platform.digest()}")
            print(platform.logs())
            print(f"----- commands.log -----\n{command_log.text()}")
