"""scheduler_project/redis_transport.py: kombu's Redis channel built a new redis.Redis object for
every message it published (redis-py's constructor copies its callback tables); ours keeps one
per channel, and every message still arrives. redis:// URLs name it; other schemes keep theirs."""

import redis as redis_py
from kombu import Connection, Exchange, Queue

from scheduler_project.redis_store.client import get_redis


def _redis_url() -> str:
    kwargs = get_redis().connection_pool.connection_kwargs  # the Redis the tests use (embedded or not)
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/7"


def test_a_thousand_messages_one_client_every_message_arrives(monkeypatch):
    made = []
    original = redis_py.Redis.__init__

    def counted(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    queue = Queue("tp-one-client-test", Exchange("tp-one-client-test"), "tp-one-client-test")
    with Connection(_redis_url(), transport="scheduler_project.redis_transport:Transport") as connection:
        producer = connection.Producer()
        producer.publish({"n": -1}, routing_key=queue.routing_key, declare=[queue], serializer="json")
        monkeypatch.setattr(redis_py.Redis, "__init__", counted)
        for n in range(1000):
            producer.publish({"n": n}, routing_key=queue.routing_key, serializer="json")
        monkeypatch.setattr(redis_py.Redis, "__init__", original)
        assert len(made) <= 1  # kombu's own channel: 1000
        received = []
        with connection.SimpleQueue(queue) as simple:
            while len(received) < 1001:
                message = simple.get(timeout=5)
                received.append(message.payload["n"])
                message.ack()
    assert sorted(received) == list(range(-1, 1000))


def test_a_redis_url_names_it_and_other_urls_keep_their_transports():
    import scheduler_project.celery  # noqa: F401  registers it, as every process with the Celery app does

    assert Connection("redis://127.0.0.1:6379/1").transport_cls == "redis"
    assert type(Connection("redis://127.0.0.1:6379/1").transport).__module__ == "scheduler_project.redis_transport"
    assert type(Connection("rediss://127.0.0.1:6380/1").transport).__module__ == "kombu.transport.redis"  # TLS: kombu's
    assert type(Connection("amqp://guest:guest@127.0.0.1:5672//").transport).__module__ == "kombu.transport.pyamqp"
