"""A consumer on the Redis broker that loses its connection closes it with a connection error,
never another error, and the message it held unacknowledged comes back.

Celery's consumer, on a lost connection (celery.worker.consumer.Consumer, 5.7), first collect()s
the connection (closes its channels, then detaches the transport) and then close()s it. With the
broker gone, collect() can leave the main channel open: kombu's Redis channel first reads the
reply of its outstanding BRPOP (a consumer's usual state between two messages), which raises,
and the transport's loop over its channels stops at the first one whose close raises (the remote
control's, which deletes its fanout queue). The second close then asked the detached transport
for the broker's address: AttributeError ("'NoneType' object has no attribute 'hostname'"),
which Celery does not recover from. The control role exited so in the fault suite
(test_no_double_publish_after_a_broker_outage[redis]) and its runs stayed queued."""

import time

from kombu import Connection, Exchange, Queue
from kombu.common import ignore_errors

from tests.faults.harness import PrivateRedis

TRANSPORT = "scheduler_project.redis_transport:Transport"
QUEUE = Queue("tp-lost-broker-test", Exchange("tp-lost-broker-test"), "tp-lost-broker-test")


def _celery_drops_the_lost_connection(connection: Connection) -> None:
    """What Celery's consumer does with a connection it lost (on_connection_error_after_connected):
    collect() with every error ignored, then close() with connection and channel errors ignored."""
    try:
        connection.collect(socket_timeout=1.0)
    except Exception:  # noqa: BLE001  Celery ignores them all here
        pass
    ignore_errors(connection, connection.close)


def test_losing_the_broker_during_a_brpop_closes_cleanly_and_loses_nothing(tmp_path):
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        options = {"visibility_timeout": 1}
        connection = Connection(broker.url(1), transport=TRANSPORT, transport_options=options)
        connection.Producer().publish({"run": 1}, routing_key=QUEUE.routing_key, declare=[QUEUE],
                                      serializer="json")
        held = []
        consumer = connection.Consumer([QUEUE], callbacks=[lambda body, message: held.append(body)],
                                       accept=["json"])
        consumer.consume()
        connection.drain_events(timeout=5)
        assert held == [{"run": 1}]  # delivered, not acknowledged
        # A second channel, as Celery's remote control has one: an auto-delete queue on a fanout
        # exchange, which the channel deletes when it closes.
        remote_control = Queue("tp-lost-broker-pidbox", Exchange("tp-lost-broker-pidbox", type="fanout"),
                               auto_delete=True)
        connection.Consumer([remote_control], channel=connection.channel(), no_ack=True, accept=["json"]).consume()
        # The event loop's state between two deliveries: a BRPOP sent, its reply not yet read.
        connection.default_channel._brpop_start()
        broker.kill()

        _celery_drops_the_lost_connection(connection)  # raised AttributeError before

        broker.start()
        # The unacknowledged message is restored once its visibility timeout passed, by the next
        # consumer, as after any lost connection.
        again = []
        with Connection(broker.url(1), transport=TRANSPORT, transport_options=options) as fresh:
            time.sleep(1.2)
            fresh.default_channel.qos.restore_visible()
            with fresh.Consumer([QUEUE], callbacks=[lambda body, message: (again.append(body), message.ack())],
                                accept=["json"]):
                fresh.drain_events(timeout=5)
        assert again == [{"run": 1}]
    finally:
        broker.stop()
