"""Orders to one worker node, as Celery remote-control broadcasts handled in its main process."""

import logging

from celery import current_app

log = logging.getLogger(__name__)


def stop_consuming(node: str, queues: list[str]) -> None:
    for queue in queues:
        try:
            current_app.control.cancel_consumer(queue, destination=[node])
        except Exception as exc:  # repeated at the next heartbeat from that node
            log.error("could not stop %s consuming %s: %s", node, queue, exc)


def start_consuming(node: str, queues: list[str]) -> None:
    for queue in queues:
        try:
            current_app.control.add_consumer(queue, destination=[node])
        except Exception as exc:
            log.error("could not make %s consume %s: %s", node, queue, exc)
