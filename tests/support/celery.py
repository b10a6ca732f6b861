"""Pointing this process's Celery app at another broker (a private one of a fault test, a
benchmark's): settings read the broker once, at setup."""

from __future__ import annotations


def point_celery(app, url: str, options: dict) -> None:
    """Make `app` publish to `url` from now on. kombu keeps its pools per broker URL, and a pool
    merely closed would be handed out again on the next visit to the same broker: every pool is
    closed and forgotten."""
    from kombu import pools

    pools.reset()
    app._pool = app.amqp._producer_pool = None
    app.conf.broker_url, app.conf.broker_transport_options = url, options
