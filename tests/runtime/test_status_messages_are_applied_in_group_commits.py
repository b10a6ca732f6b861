"""scheduler_project.group_commit: the control role's status messages are applied in batches.
At a quiet moment a message is applied at once, alone; while max_in_flight batches are being
applied, arriving messages gather and the next batch takes them together; each message is
acknowledged after its batch, or put back on its queue when the batch says so (REQUEUE) or
fails as a whole. (The pool and the messages are stand-ins here; tests/e2e runs it in a real
control role on a real broker.)"""

from scheduler_project import group_commit
from scheduler_project.group_commit import REQUEUE, GroupCommitTask


class HeldPool:
    """Keeps what it is handed until the test runs it, as a busy thread pool would."""

    def __init__(self):
        self.held = []

    def apply_async(self, target, args, callback=None):
        self.held.append((target, args))

    def run_next(self):
        target, args = self.held.pop(0)
        target(*args)


class Consumer:
    def __init__(self):
        self.pool, self.connection_errors = HeldPool(), ()


class Settled:
    def __init__(self):
        self.acked, self.requeued = [], []

    def message(self, n):
        def ack(logger, errors):
            self.acked.append(n)

        def reject(logger, errors, requeue):
            assert requeue
            self.requeued.append(n)

        return [[{"n": n}], {}, {}], ack, reject


def batcher(body, monkeypatch):
    monkeypatch.setattr(group_commit, "close_old_connections", lambda: None)
    monkeypatch.setattr(group_commit, "REQUEUE_PAUSE_SECONDS", 0)
    seen = []

    class Task(GroupCommitTask):
        name = "test.batched"
        max_batch, max_in_flight = 3, 2

        def run(self, calls):
            seen.append([args[0]["n"] for args, kwargs in calls])
            return body(calls)

    consumer = Consumer()
    task = Task()
    return task.Strategy(task, None, consumer), consumer.pool, seen


def send(handler, settled, n):
    payload, ack, reject = settled.message(n)
    handler(None, payload, ack, reject, set())


def test_quiet_messages_go_alone_and_a_busy_queue_gathers_them(monkeypatch):
    handler, pool, seen = batcher(lambda calls: ["applied"] * len(calls), monkeypatch)
    settled = Settled()
    send(handler, settled, 1)
    send(handler, settled, 2)
    assert len(pool.held) == 2  # both at once, alone: nothing waited for a timer or a count
    for n in range(3, 8):
        send(handler, settled, n)  # two batches in flight: these gather
    assert len(pool.held) == 2
    pool.run_next()  # batch [1] ends: the next batch takes what gathered, up to max_batch
    assert seen == [[1]] and settled.acked == [1] and len(pool.held) == 2
    while pool.held:
        pool.run_next()
    assert seen == [[1], [2], [3, 4, 5], [6, 7]]
    assert sorted(settled.acked) == [1, 2, 3, 4, 5, 6, 7] and settled.requeued == []


def test_a_message_the_batch_sends_back_is_requeued_and_the_others_acknowledged(monkeypatch):
    handler, pool, _ = batcher(lambda calls: [REQUEUE if a[0]["n"] == 2 else "applied" for a, _ in calls],
                               monkeypatch)
    settled = Settled()
    for n in (1, 2, 3, 4):
        send(handler, settled, n)
    while pool.held:
        pool.run_next()
    assert settled.requeued == [2] and sorted(settled.acked) == [1, 3, 4]


def test_a_batch_that_fails_as_a_whole_is_requeued_whole(monkeypatch):
    def broken(calls):
        raise RuntimeError("the database is away")

    handler, pool, _ = batcher(broken, monkeypatch)
    settled = Settled()
    for n in (1, 2, 3):
        send(handler, settled, n)
    while pool.held:
        pool.run_next()
    assert sorted(settled.requeued) == [1, 2, 3] and settled.acked == []
    send(handler, settled, 4)  # and the batcher goes on: nothing stayed "in flight"
    assert len(pool.held) == 1
