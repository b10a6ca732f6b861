"""Issue 14 (at most one start per attempt, a durable cancel): a delivery's `started` carries a
start claim and the delivery waits for the answer before it starts its command. The first claim
of the current attempt gets go, the same claim asked again gets go again, any other delivery of
the attempt, a superseded attempt and a cancelled run get stop, and a stopped claim never
touches the execution that does run (no taskplane_cancel)."""

import pytest

from tasks_app.models import Run
from tasks_app.services import cancelling, dispatch, events


@pytest.fixture
def answers(monkeypatch):
    sent = []
    monkeypatch.setattr("tasks_app.services.stopping.current_app.control.broadcast",
                        lambda name, arguments, destination: sent.append((name, arguments, destination)))
    return sent


def claim(run, token, worker="w1", attempt=None):
    return {"kind": "started", "run_id": run.pk, "attempt": attempt or run.attempt, "fence": run.fence,
            "worker": worker, "node": f"worker@{worker}", "claim": token}


def verdicts(sent):
    return [(args["claim"], args["verdict"], dest) for name, args, dest in sent if name == "taskplane_verdict"]


def test_the_first_claim_goes_the_same_claim_again_goes_another_stops(
        make_task, no_publish, answers, django_capture_on_commit_callbacks):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_event(claim(run, "aaaa")) == "applied"
        assert events.apply_event(claim(run, "aaaa")) == "duplicate"
        assert events.apply_event(claim(run, "bbbb")) == "stopped"  # a redelivery on the same node
        assert events.apply_event(claim(run, "cccc", worker="w2")) == "stopped"  # on another node
    assert verdicts(answers) == [("aaaa", "go", ["worker@w1"]), ("aaaa", "go", ["worker@w1"]),
                                 ("bbbb", "stop", ["worker@w1"]), ("cccc", "stop", ["worker@w2"])]
    assert not [a for a in answers if a[0] == "taskplane_cancel"], "a stopped claim must not stop the running one"
    assert Run.objects.get(pk=run.pk).claim == "aaaa"


def test_a_claim_of_a_cancelled_run_is_told_to_stop(make_task, no_publish, answers,
                                                     django_capture_on_commit_callbacks):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    cancelling.request_cancel(run.pk, by="ops")  # still queued: cancelled at once
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_event(claim(run, "aaaa")) == "stopped"
    assert verdicts(answers) == [("aaaa", "stop", ["worker@w1"])]
    assert Run.objects.get(pk=run.pk).status == "cancelled"


def test_a_claim_of_a_run_that_does_not_exist_is_told_to_stop(db, answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_event({"kind": "started", "run_id": 999999, "attempt": 1, "fence": "f",
                                   "worker": "w1", "node": "worker@w1", "claim": "aaaa"}) == "stopped"
    assert verdicts(answers) == [("aaaa", "stop", ["worker@w1"])]


@pytest.fixture
def published(monkeypatch):
    """What stopping.answer_claim publishes to a node's answer queue."""
    sent = []

    class Producer:
        def publish(self, body, exchange, routing_key, **kwargs):
            sent.append((body, exchange, routing_key))

    class Acquired:
        def __enter__(self):
            return Producer()

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr("tasks_app.services.stopping.current_app.producer_or_acquire", lambda: Acquired())
    return sent


def test_a_claim_that_names_its_answer_queue_is_answered_there_alone(
        make_task, no_publish, answers, published, settings, django_capture_on_commit_callbacks):
    run = dispatch.create_run(make_task(), Run.Trigger.MANUAL)
    asks = {**claim(run, "aaaa"), "answer_to": "queue"}
    with django_capture_on_commit_callbacks(execute=True):
        assert events.apply_event(asks) == "applied"
        assert events.apply_event({**claim(run, "bbbb"), "answer_to": "queue"}) == "stopped"
    queue = f"{settings.TP.message_queue.task_queue}.answers.worker@w1"
    execution_id = f"run-{run.pk}-a{run.attempt}-{run.fence}"
    assert published == [
        ({"execution_id": execution_id, "claim": "aaaa", "verdict": "go", "reason": ""}, "", queue),
        ({"execution_id": execution_id, "claim": "bbbb", "verdict": "stop",
          "reason": f"attempt {run.attempt} already runs on w1"}, "", queue),
    ]
    assert answers == [], "nothing broadcast to every node"
