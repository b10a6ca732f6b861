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

It also turns one error of kombu's into what it is, a lost connection (`_connparams`).
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES, redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(redis.Channel):
    _publishing_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._publishing_client
        if client is None or client.connection_pool is not self.pool:
            client = self._publishing_client = super()._create_client()
        return client

    def _connparams(self, asynchronous=False):
        """A channel of a connection that was closed has no broker address left: kombu reads it
        from the transport's connection, which is None once detached. Celery's consumer, on a lost
        connection, collect()s it (closes the channels, detaches the transport) and then close()s
        it; when collect() left a channel open (its outstanding BRPOP's reply could not be read,
        or an earlier channel's close raised and stopped the transport's loop), the second close
        restores that channel's unacknowledged messages and needs a client for it. The
        AttributeError that followed is no connection error, so Celery took it for unrecoverable
        and the process exited (a control role: every run stayed queued). As a connection error
        it is ignored like the others, and the consumer connects again; the messages come back
        by kombu's visibility timeout, as after any lost connection."""
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed (this channel's transport is detached)")
        return super()._connparams(asynchronous=asynchronous)


class Transport(redis.Transport):
    Channel = Channel


def register() -> None:
    """Make `redis://` mean this transport (kombu's registry of URL schemes). By scheme, not by
    Celery's broker_transport setting, which would also apply to an amqp:// URL given later in
    the same process (the benchmarks and tests switch brokers). `rediss://` keeps kombu's own."""
    TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
