"""The harness itself: a private broker stopped and started again keeps its durable queues and
persistent messages (so an outage in these tests is an outage, not a fresh broker), and its
port; and a command logged through CommandLog is counted and found alive until it is killed."""

import subprocess

import pytest
from kombu import Connection, Exchange, Queue

from tests.faults import harness

pytestmark = pytest.mark.faults


def test_a_restarted_private_broker_keeps_its_messages(broker):
    url = broker.url(1) if broker.kind == "redis" else broker.url()
    queue = Queue("harness-check", Exchange("harness-check", type="direct"), routing_key="harness-check", durable=True)
    with Connection(url) as conn:
        conn.Producer().publish({"n": 1}, exchange=queue.exchange, routing_key="harness-check", declare=[queue],
                                delivery_mode=2)
    port = broker.port
    broker.restart(down_seconds=0.5)
    assert broker.port == port and broker.up
    with Connection(url) as conn:
        message = queue(conn.channel()).get(no_ack=True)
    assert message is not None and message.payload == {"n": 1}


def test_the_command_log_counts_and_finds_live_commands(tmp_path):
    log = harness.CommandLog(tmp_path / "commands.log")
    env = {"TP_RUN_ID": "7", "TP_ATTEMPT": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["/bin/sh", "-c", log.command("true")], env=env, start_new_session=True, timeout=10,
                          check=False)
    assert done.returncode == 0
    sleeper = subprocess.Popen(["/bin/sh", "-c", log.command("sleep 30")], env={**env, "TP_ATTEMPT": "2"},
                               start_new_session=True)
    try:
        assert harness.wait_until(lambda: log.starts(7) and len(log.starts(7)) == 2, 10)
        assert log.executions() == {(7, 1): 1, (7, 2): 1} and not log.executed_twice()
        assert [e.attempt for e in log.alive(7)] == [2]
        assert log.kill_leftovers() == [sleeper.pid]
        sleeper.wait(10)
        assert harness.wait_until(lambda: not log.alive(7), 5) is not None
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
