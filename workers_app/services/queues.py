"""Queue depths, read from the broker itself (RabbitMQ or Redis) with a passive declare."""

import logging

from celery import current_app

log = logging.getLogger(__name__)


def queue_depths(names) -> dict[str, int | None]:
    """Messages waiting in each queue; None where the broker does not know the queue."""
    depths: dict[str, int | None] = {}
    with current_app.connection_for_read() as connection:
        for name in sorted(set(names)):
            channel = connection.channel()
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except Exception as exc:  # RabbitMQ answers a passive declare of an unknown queue with 404
                log.debug("no depth for queue %s: %s", name, exc)
                depths[name] = None
            finally:
                try:
                    channel.close()
                except Exception:
                    pass
    return depths
