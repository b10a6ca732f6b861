"""Telling a worker to stop one execution (a cancel, or an execution that must not go on), and
answering a delivery's start claim.

A stop is sent as a Celery remote-control broadcast, handled in the worker's main process (never
queued behind busy pool slots), addressed to the node the run records (Run.node, from its
`started` event). It is a request, not a record: the record is the run's cancel_requested_at,
and the sweep repeats the request until the run is final, so a worker that was briefly away
still gets it.
"""

import logging

from celery import current_app
from django.conf import settings

from scheduler_project import wire
from scheduler_project.queues import answer_queue

log = logging.getLogger(__name__)
KILL_GRACE_SECONDS = 5.0


def node_of(run) -> str:
    """The Celery node running the run (runs started before nodes were recorded: the default name)."""
    return run.node or f"worker@{run.worker}"


def stop_execution(node: str, execution_id: str, reason: str) -> None:
    log.info("asking %s to stop %s: %s", node, execution_id, reason)
    try:
        current_app.control.broadcast(
            "taskplane_cancel",
            arguments={"execution_id": execution_id, "grace_seconds": KILL_GRACE_SECONDS},
            destination=[node],
        )
    except Exception as exc:  # the sweep asks again
        log.error("could not ask %s to stop %s: %s", node, execution_id, exc)


def answer_claim(node: str, execution_id: str, claim: str, verdict: str, reason: str = "",
                 to_queue: bool = False) -> None:
    """The answer to a delivery's start claim (`started` with `claim`): "go" or "stop". The
    delivery waits for it before it starts its command, and asks again if it gets none, so a
    lost answer costs a few seconds, never a second start.

    to_queue (the claim's `answer_to` is wire.ANSWER_TO_QUEUE): to the node's own answer queue,
    through the default exchange, which routes by queue name on RabbitMQ and Redis alike. A node
    of an older version asks without it and is answered as before, by the remote-control
    command, which every process listening for remote control receives."""
    # The same fields either way: the message's, and the remote-control command's arguments.
    answer = dict(zip(wire.ANSWER_FIELDS, (execution_id, claim, verdict, reason), strict=True))
    try:
        if to_queue:
            with current_app.producer_or_acquire() as producer:
                producer.publish(answer, exchange="", routing_key=answer_queue(settings.TP.message_queue.task_queue, node),
                                 serializer="json", delivery_mode="transient", retry=True,
                                 retry_policy=current_app.conf.task_publish_retry_policy)
        else:
            current_app.control.broadcast("taskplane_verdict", arguments=answer, destination=[node])
    except Exception as exc:  # the delivery asks again
        log.error("could not answer %s's claim on %s: %s", node, execution_id, exc)


def forget_queued(execution_id: str) -> None:
    """A queued execution that must never start: workers drop a revoked message on receipt."""
    try:
        current_app.control.revoke(execution_id)
    except Exception as exc:
        log.error("could not revoke %s: %s", execution_id, exc)
