"""A worker forwards a shell run's output lines to the control role in batches that say the
number of their first line, and a line followed by silence is sent by a timer instead of
waiting for the next line (or the end of the run)."""

import threading

from tests.support.processes import wait_for
from workers_app import execution


def test_batches_are_numbered_and_a_lone_line_is_not_held(monkeypatch):
    sent, lock = [], threading.Lock()

    def report(execution_, kind, node, **fields):
        with lock:
            sent.append(fields)

    monkeypatch.setattr(execution, "report", report)
    forward = execution.OutputForwarder({"run_id": 1, "attempt": 1, "fence": "f", "execution_id": "run-1-a1-f",
                                         "task_id": 3}, "worker@n1")
    forward("stdout", "one")  # the first line goes at once
    forward("stdout", "two")  # within FLUSH_SECONDS: buffered ...
    forward("stderr", "three")
    # ... and sent by the timer, though no further line comes.
    wait_for(lambda: len(sent) == 2, 10, lambda: f"the buffered lines to be sent (sent: {sent})")
    assert [b["lines"] for b in sent] == [[["stdout", "one"]], [["stdout", "two"], ["stderr", "three"]]]
    assert [b["first_line"] for b in sent] == [1, 2]

    monkeypatch.setattr(forward, "MAX_LINES", 2)
    for n in range(4, 9):  # five lines in one flush window: two kept, three dropped
        forward("stdout", f"l{n}")
    forward.flush()
    after = sent[2:]
    assert sum(len(b["lines"]) + b["dropped"] for b in after) == 5
    assert after[0]["first_line"] == 4
    forward("stdout", "next")
    forward.flush()
    assert sent[-1]["first_line"] == 9 and sent[-1]["lines"] == [["stdout", "next"]]
