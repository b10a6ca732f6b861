"""scheduler_project/redis_transport.py: kombu's Redis channel built a new redis.Redis object for
every message it published (about 0.6 ms of CPU in redis-py's constructor); ours keeps one per
channel, and every message still arrives. Settings choose it for a redis:// broker only."""

import os
import subprocess
import sys

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


def _transport_setting(kind: str, url: str) -> str:
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'scheduler_project.settings'; django.setup(); "
            "from django.conf import settings; print(getattr(settings, 'CELERY_BROKER_TRANSPORT', None))")
    env = {**os.environ, "MESSAGE_QUEUE_TYPE": kind, "MESSAGE_QUEUE_URL": url}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_only_a_plain_redis_broker_gets_it():
    assert _transport_setting("redis_stream", "redis://127.0.0.1:6379/1") == "scheduler_project.redis_transport:Transport"
    assert _transport_setting("redis_stream", "rediss://127.0.0.1:6380/1") == "None"  # TLS: kombu's own, as it parses it
    assert _transport_setting("rabbitmq", "amqp://guest:guest@127.0.0.1:5672//") == "None"
