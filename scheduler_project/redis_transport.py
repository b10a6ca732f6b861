"""kombu's Redis transport with one publishing client per channel: `redis://` URLs name it in
every process that loads the Celery app (register(), called by scheduler_project/celery.py).

kombu 5.7's Redis channel builds a new `redis.Redis` object for every message it publishes
(`conn_or_acquire()` -> `_create_client()`), and redis-py's client constructor copies its
command-callback tables: a publish cost 0.2 to 0.35 ms of CPU, 0.1 to 0.15 ms with one client
(docs/performance.md, B1; a run publishes four or five messages: the execution, the start
claim, its answer, the finished report). A client object holds no connection of its own (each
command takes one from the channel's pool and gives it back), so one per channel is what it is
made for: this channel keeps one, and a new one if the channel's pool is replaced (kombu drops its
pools when the connection is lost).
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES, redis


class Channel(redis.Channel):
    _publishing_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._publishing_client
        if client is None or client.connection_pool is not self.pool:
            client = self._publishing_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel


def register() -> None:
    """Make `redis://` mean this transport (kombu's registry of URL schemes). By scheme, not by
    Celery's broker_transport setting, which would also apply to an amqp:// URL given later in
    the same process (the benchmarks and tests switch brokers). `rediss://` keeps kombu's own."""
    TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
