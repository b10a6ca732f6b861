"""Issue 14 item 12: a consumer whose broker connection dies without a word (no FIN, no RST: the
broker's host restarted elsewhere, a NAT or load balancer dropped the connection) must notice and
reconnect, not consume nothing for minutes. Only heartbeats tell: the control role's consumer
connection goes through a proxy that falls silent, and a run triggered then must still have its
events applied once AMQP heartbeats (20 s: settings.CELERY_BROKER_HEARTBEAT; Celery's default of
120 s takes 4 to 5 minutes) have found the connection dead. RabbitMQ only: the Redis transport
notices through its socket timeout."""

import pytest

from tasks_app.services import definitions
from tests.faults import harness
from tests.faults.harness import shell_task, wait_worker

pytestmark = pytest.mark.faults
HEARTBEAT = 20  # scheduler_project/settings.py CELERY_BROKER_HEARTBEAT
# py-amqp gives up after 2 heartbeats without a frame (checked every half); the broker drops the
# old connection after as long, and only then frees the remote-control queue it held exclusively.
NOTICED_WITHIN = 4 * HEARTBEAT


@pytest.mark.parametrize("broker", ["rabbitmq"], indirect=True)
def test_a_consumer_whose_connection_dies_silently_reconnects(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    proxy = harness.SilentProxy(platform.broker.port)
    try:
        via_proxy = f"amqp://guest:guest@127.0.0.1:{proxy.port}//"
        platform.start("control", MESSAGE_QUEUE_URL=via_proxy)
        platform.start("dispatcher")
        platform.start("worker", "--worker-id", "w", "--concurrency", "1", name="w")
        wait_worker("w")
        task = shell_task(command_log, "true")
        platform.wait_run(definitions.trigger(task).pk, "succeeded")

        v.check(proxy.silence() >= 1, "the control role holds no connection through the proxy")
        run = definitions.trigger(task)  # published straight to the broker; the worker runs it
        bound = NOTICED_WITHIN + harness.final_bound(platform.config)
        found = harness.wait_final([run.pk], bound)
        v.check(found.get(run.pk) == "succeeded",
                f"the run is {found.get(run.pk)} {bound:.0f}s after the control's connection died silently")
        v.check(len(proxy.live) > 1, "the control role never opened a new connection")
        v.assert_none()
    finally:
        proxy.close()
