"""Issue 14 item 7: whoever sends an outbox entry claims it first (a conditional UPDATE that must
change the row), so two sweeps, or a sweep and the entry's writer, never send one entry twice;
a claim whose holder died is taken over after the claim timeout."""

import datetime as dt
import threading
import time
from collections import Counter

from celery import current_app
from django.db import connection
from django.utils import timezone

from tasks_app import states
from tasks_app.models import OutboxEntry, Run
from tasks_app.services import dispatch


def _stale(seconds_past_timeout: float = 1.0):
    return timezone.now() - dt.timedelta(seconds=dispatch.claim_timeout_seconds() + seconds_past_timeout)


def test_the_writer_holds_its_entry_until_it_has_sent_it(make_task, no_publish):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)  # committed, its hand-over not yet run
    entry = OutboxEntry.objects.get(run=run)
    assert entry.claimed_at is not None and entry.claim_token
    assert dispatch.hand_over(entry.pk) is False
    assert dispatch.republish_stale(older_than_seconds=0) == 0
    assert no_publish == []
    assert dispatch.hand_over(entry.pk, entry) is True  # the writer's own hand-over
    assert [kw["task_id"] for _, kw in no_publish] == [run.execution_id]
    assert dispatch.republish_stale(older_than_seconds=0) == 0


def test_a_sweep_during_another_sweeps_send_sends_nothing(make_task, monkeypatch):
    runs = [dispatch.create_run(make_task(name=f"t{i}"), Run.Trigger.MANUAL) for i in range(3)]
    OutboxEntry.objects.update(created_at=_stale(), claimed_at=_stale())  # writers died holding them
    sent, nested = [], []

    def send_task(name, **kw):
        sent.append(kw["task_id"])
        if not nested:  # a second sweep runs while the first is inside its first send
            nested.append(dispatch.republish_stale(older_than_seconds=0))

    monkeypatch.setattr(current_app, "send_task", send_task)
    assert dispatch.republish_stale(older_than_seconds=0) == 3
    assert nested == [0]
    assert sorted(sent) == sorted(r.execution_id for r in runs)
    assert set(Run.objects.values_list("status", flat=True)) == {states.QUEUED}
    assert OutboxEntry.objects.filter(published_at__isnull=True).count() == 0


def test_a_stale_claim_is_taken_over_and_a_live_one_is_not(make_task, no_publish):
    dead = dispatch.create_run(make_task(name="dead"), Run.Trigger.MANUAL)
    live = dispatch.create_run(make_task(name="live"), Run.Trigger.MANUAL)
    OutboxEntry.objects.update(created_at=_stale(60))
    OutboxEntry.objects.filter(run=dead).update(claimed_at=_stale())
    OutboxEntry.objects.filter(run=live).update(claimed_at=timezone.now() - dt.timedelta(seconds=1))
    assert dispatch.republish_stale() == 1
    assert [kw["task_id"] for _, kw in no_publish] == [dead.execution_id]
    assert OutboxEntry.objects.get(run=live).published_at is None


def test_a_refused_batch_gives_every_claim_back(make_task, monkeypatch):
    for i in range(3):
        dispatch.create_run(make_task(name=f"t{i}"), Run.Trigger.MANUAL)
    OutboxEntry.objects.update(created_at=_stale(), claimed_at=_stale())
    calls = []

    def broker_down(*args, **kwargs):
        calls.append(1)
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    assert dispatch.republish_stale() == 0
    assert len(calls) == 1  # the first refusal stops the batch
    assert OutboxEntry.objects.filter(claimed_at__isnull=True, claim_token="", published_at__isnull=True).count() == 3


def test_two_concurrent_sweeps_send_each_entry_once(transactional_db, make_task, monkeypatch):
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: None)
    runs = [dispatch.create_run(make_task(name=f"t{i}"), Run.Trigger.MANUAL) for i in range(20)]
    # Committed and handed over (autocommit); now as if every writer had died holding its claim.
    OutboxEntry.objects.update(created_at=_stale(), claimed_at=_stale(), published_at=None)
    sent, lock = Counter(), threading.Lock()

    def send_task(name, **kw):
        with lock:
            sent[kw["task_id"]] += 1
        time.sleep(0.01)  # a broker round trip: the other sweep runs meanwhile

    monkeypatch.setattr(current_app, "send_task", send_task)
    barrier, counts = threading.Barrier(2), []

    def sweep():
        try:
            barrier.wait(10)
            counts.append(dispatch.republish_stale(older_than_seconds=0))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == len(runs)
    assert sent == Counter({r.execution_id: 1 for r in runs})


def test_a_writer_whose_transaction_outlasted_half_the_claim_renews_it_first(make_task, no_publish):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    entry = OutboxEntry.objects.get(run=run)
    entry.claimed_at = _stale(-dispatch.claim_timeout_seconds() / 2 + 1)  # older than half the timeout
    OutboxEntry.objects.filter(pk=entry.pk).update(claimed_at=entry.claimed_at)
    assert dispatch.hand_over(entry.pk, entry) is True  # still its own: renewed, sent
    taken = dispatch.create_run(make_task(name="taken"), Run.Trigger.MANUAL)
    lost = OutboxEntry.objects.get(run=taken)
    lost.claimed_at = _stale()
    OutboxEntry.objects.filter(pk=lost.pk).update(claimed_at=_stale(), claim_token="a-sweeps-token")
    assert dispatch.hand_over(lost.pk, lost) is False  # a sweep took it over meanwhile: not sent twice
    assert [kw["task_id"] for _, kw in no_publish] == [run.execution_id]
