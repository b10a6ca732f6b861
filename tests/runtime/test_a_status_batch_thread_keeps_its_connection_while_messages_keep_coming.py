"""scheduler_project.group_commit: the pool thread that applied a status batch takes the next
one itself and lingers for a message that arrives soon after, on the same database connection;
it gives the connection back (close_old_connections, the pool's checkout then checks a new one)
when nothing came within LINGER_SECONDS, after a batch with a database error, and once it held
it HOLD_CONNECTION_SECONDS. A burst woken into a lingering thread still gets a second thread
for what its first batch leaves. Real threads here, stand-in messages; tests/e2e runs the control
role on a real broker and database."""

import threading
import time

from scheduler_project import group_commit
from scheduler_project.group_commit import REQUEUE, GroupCommitTask


class ThreadPool:
    """Runs what it is handed in a new thread, as the control role's thread pool would."""

    def __init__(self):
        self.handed = 0
        self.threads = []

    def apply_async(self, target, args, callback=None):
        self.handed += 1
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self, timeout=10):
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "a batch thread did not leave"


class Consumer:
    def __init__(self):
        self.pool, self.connection_errors = ThreadPool(), ()


def until(predicate, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


class Recorder:
    """The task's body and the connection's life as the batcher sees them: each batch's messages
    with the thread and the 'connection' (a number that changes when it was given back)."""

    def __init__(self, monkeypatch, verdict=lambda n: "applied", linger=1.0, hold=30.0):
        self.batches, self.acked, self.requeued = [], [], []
        self.connection, self.given_back = 1, 0
        monkeypatch.setattr(group_commit, "close_old_connections", self.give_back)
        monkeypatch.setattr(group_commit, "REQUEUE_PAUSE_SECONDS", 0)
        monkeypatch.setattr(group_commit, "LINGER_SECONDS", linger)
        monkeypatch.setattr(group_commit, "HOLD_CONNECTION_SECONDS", hold)
        recorder = self

        class Task(GroupCommitTask):
            name = "test.batched"
            max_batch, max_in_flight = 10, 2

            def batches_at_once(self):  # as on a database with row locks, whichever runs the tests
                return self.max_in_flight

            def run(self, calls):
                numbers = [args[0]["n"] for args, _ in calls]
                recorder.batches.append((numbers, threading.get_ident(), recorder.connection))
                return [verdict(n) for n in numbers]

        self.consumer = Consumer()
        task = Task()
        self.handler = task.Strategy(task, None, self.consumer)
        self.batcher = self.handler.__self__

    def give_back(self):
        self.given_back += 1
        self.connection += 1

    def send(self, n):
        def ack(logger, errors):
            self.acked.append(n)

        def reject(logger, errors, requeue):
            self.requeued.append(n)

        self.handler(None, [[{"n": n}], {}, {}], ack, reject, set())

    def buffer_only(self, n):
        """A message in the buffer without the consumer's flush (the caller holds the lock)."""
        self.batcher.buffer.append((([{"n": n}], {}), lambda logger, errors: self.acked.append(n),
                                    lambda logger, errors, requeue: self.requeued.append(n)))


def test_a_message_arriving_while_the_thread_lingers_is_applied_by_it_on_the_same_connection(monkeypatch):
    rec = Recorder(monkeypatch, linger=1.0)
    rec.send(1)
    until(lambda: rec.batcher.lingering == 1, "the thread to linger after its batch")
    rec.send(2)
    until(lambda: rec.acked == [1, 2], "the second message to be applied")
    assert rec.consumer.pool.handed == 1  # no second pool task: the lingering thread took it
    (first, thread_1, connection_1), (second, thread_2, connection_2) = rec.batches
    assert (first, second) == ([1], [2]) and thread_1 == thread_2 and connection_1 == connection_2
    given_back = rec.given_back
    rec.consumer.pool.join()  # nothing more came: it leaves after LINGER_SECONDS
    assert rec.given_back == given_back + 1 and rec.batcher.in_flight == 0 and rec.batcher.lingering == 0
    rec.send(3)  # and the next message takes a pool thread, and a connection, again
    until(lambda: rec.acked == [1, 2, 3], "the third message to be applied")
    assert rec.consumer.pool.handed == 2 and rec.batches[-1][2] != connection_1


def test_the_thread_gives_its_connection_back_when_nothing_comes_within_the_linger(monkeypatch):
    rec = Recorder(monkeypatch, linger=0.2)
    began = time.monotonic()
    rec.send(1)
    until(lambda: rec.acked == [1], "the message to be applied")
    rec.consumer.pool.join()
    assert time.monotonic() - began >= 0.2  # it lingered
    assert rec.given_back == 2  # on entry (as Celery's fixup does) and on leaving
    assert rec.batcher.in_flight == 0


def test_a_batch_with_a_database_error_gives_the_connection_back_before_the_next(monkeypatch):
    rec = Recorder(monkeypatch, verdict=lambda n: REQUEUE if n == 1 else "applied", linger=1.0)
    rec.send(1)
    until(lambda: rec.requeued == [1] and rec.batcher.lingering == 1, "the requeue and the linger")
    rec.send(2)
    until(lambda: rec.acked == [2], "the second message to be applied")
    (_, _, connection_1), (_, _, connection_2) = rec.batches
    assert connection_2 != connection_1  # a dead connection is not used for the next batch
    rec.consumer.pool.join()


def test_a_connection_is_held_no_longer_than_the_hold_time(monkeypatch):
    rec = Recorder(monkeypatch, linger=1.0, hold=0.0)
    rec.send(1)
    until(lambda: rec.batcher.lingering == 1, "the thread to linger after its batch")
    rec.send(2)
    until(lambda: rec.acked == [1, 2], "the second message to be applied")
    (_, thread_1, connection_1), (_, thread_2, connection_2) = rec.batches
    assert thread_1 == thread_2 and connection_2 != connection_1
    rec.consumer.pool.join()


def held_until(release: threading.Event):
    """A verdict that waits for the test to release its batch, as a slow transaction would."""
    def verdict(n):
        release.wait(10)
        return "applied"
    return verdict


def test_no_more_threads_than_max_in_flight_are_taken_lingering_or_applying(monkeypatch):
    release = threading.Event()
    rec = Recorder(monkeypatch, verdict=held_until(release), linger=0.2)
    for n in range(1, 8):
        rec.send(n)
    until(lambda: rec.consumer.pool.handed == 2, "two batches in flight")
    time.sleep(0.05)
    assert rec.consumer.pool.handed == 2 and rec.batcher.in_flight == 2
    release.set()
    until(lambda: sorted(rec.acked) == list(range(1, 8)), "every message to be applied")
    rec.consumer.pool.join()
    assert rec.consumer.pool.handed == 2 and rec.batcher.in_flight == 0


def test_a_burst_woken_into_a_lingering_thread_still_takes_a_second_thread(monkeypatch):
    release = threading.Event()
    rec = Recorder(monkeypatch, verdict=held_until(release), linger=2.0)
    release.set()
    rec.send(0)
    until(lambda: rec.batcher.lingering == 1, "the thread to linger after its batch")
    release.clear()
    with rec.batcher.changed:  # the burst arrives before the lingering thread gets the lock back
        for n in range(1, 26):
            rec.buffer_only(n)
        rec.batcher.changed.notify()
    until(lambda: rec.consumer.pool.handed == 2, "a second thread for what the first batch left")
    release.set()
    until(lambda: sorted(rec.acked) == list(range(26)), "every message to be applied")
    rec.consumer.pool.join()
    assert [len(numbers) for numbers, _, _ in rec.batches[1:3]] == [10, 10]  # two batches at once, max_batch each
