"""kombu's Redis transport with one publishing client per channel (settings.py sets it as
Celery's broker_transport when the broker is Redis).

kombu 5.7's Redis channel builds a new `redis.Redis` object for every message it publishes
(`conn_or_acquire()` -> `_create_client()`), and redis-py's client constructor copies its
command-callback tables: about 0.6 ms of CPU per publish, most of what a `send_task` cost
(docs/performance.md, B1; a run publishes four or five messages: the execution, the start
claim, its answer, the finished report). A client object holds no connection of its own (each
command takes one from the channel's pool and gives it back), so one per channel is what it is
made for: this channel keeps one, and a new one if the channel's pool is replaced (kombu drops its
pools when the connection is lost).
"""

from __future__ import annotations

from kombu.transport import redis


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
