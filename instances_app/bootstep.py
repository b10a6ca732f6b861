"""The instance's background work inside its control role (a Celery worker): presence every
owner_ttl_seconds / 3, and the blocking inbox reader on its own thread.

Both outlive a Redis outage on their own: presence is announced again at the next round, and
the reader thread starts over (consumer group, pending entries) until Redis answers, instead of
dying with the first error."""

import logging
import os
import threading
import time

from celery import bootsteps
from django.conf import settings

log = logging.getLogger("taskplane.instances")


def is_control_worker(consumer) -> bool:
    queues = {q.name for q in consumer.task_consumer.queues} if consumer.task_consumer else set()
    return settings.TP.message_queue.control_queue in queues


class InstanceLoop(bootsteps.StartStopStep):
    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        self.timer = None
        self.reader = None

    def start(self, consumer):
        if not settings.TP.scheduler.phase2.enabled or not is_control_worker(consumer) or self.timer:
            return
        from instances_app import inbox, presence

        instance_id = settings.INSTANCE_ID
        self.announce(consumer)
        log.info("Phase2 enabled: instance %s started (control %s)", instance_id, consumer.hostname)
        interval = max(1.0, settings.TP.scheduler.phase2.owner_ttl_seconds / 3)
        self.timer = consumer.timer.call_repeatedly(interval, self.announce, (consumer,), priority=10)
        self.reader = inbox.InboxReader(instance_id, f"{instance_id}:{os.getpid()}")
        threading.Thread(target=read_inbox, args=(self.reader,), name="inbox-reader", daemon=True).start()
        presence.mark_role("control")

    def announce(self, consumer):
        from instances_app import inbox, presence

        try:
            presence.announce(inbox_pending=inbox.pending_count(settings.INSTANCE_ID))
        except Exception as exc:  # Redis away: the next round tries again; presence expires meanwhile
            log.error("presence not announced: %s", exc)

    def stop(self, consumer):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.reader is not None:
            self.reader.stopping = True
        try:
            from instances_app import presence

            presence.withdraw()
        except Exception:
            pass


RETRY_SECONDS = 1.0


def read_inbox(reader) -> None:
    """The reader thread: reader.run() until it is told to stop. Its start (the consumer group,
    the entries this consumer left pending) needs Redis too; while Redis is away it starts over
    every RETRY_SECONDS rather than leave the inbox unread until the process restarts."""
    while not reader.stopping:
        try:
            reader.run()
            return
        except Exception as exc:  # noqa: BLE001  Redis away at start: try again
            log.error("inbox reader of %s cannot start: %s; retrying", reader.instance_id, exc)
            time.sleep(RETRY_SECONDS)
