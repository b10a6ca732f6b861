"""A control role that starts (or reconnects to the broker) while Redis is away must still read
its inbox once Redis answers, without a restart: the reader thread starts over until it can."""

import threading

from django.conf import settings as django_settings

from instances_app import bootstep, inbox
from tests.services import free_port
from tests.support.processes import wait_for
from tests.support.redis import inbox_consumers


def test_the_reader_started_during_an_outage_reads_once_redis_is_back(db, redis_prefix, settings, monkeypatch):
    monkeypatch.setattr(bootstep, "RETRY_SECONDS", 0.1)
    up = settings.TP
    p2 = up.scheduler.phase2
    settings.TP = up.model_copy(update={"scheduler": up.scheduler.model_copy(update={"phase2": p2.model_copy(
        update={"redis": p2.redis.model_copy(update={"url": f"redis://127.0.0.1:{free_port()}/0"})})})})
    instance = django_settings.INSTANCE_ID
    reader = inbox.InboxReader(instance, f"{instance}:test")
    starts, run = [], reader.run
    reader.run = lambda: (starts.append(1), run())[1]
    thread = threading.Thread(target=bootstep.read_inbox, args=(reader,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(starts) >= 2, 30, "the reader to fail to start, and try again")
        assert thread.is_alive()
        settings.TP = up  # Redis answers again
        wait_for(lambda: any(c["name"] == f"{instance}:test" for c in inbox_consumers(instance)), 30,
                 "the reader to join its inbox's consumer group")
    finally:
        reader.stopping = True
        thread.join(30)
