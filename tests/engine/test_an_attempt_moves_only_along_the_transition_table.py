"""The run's compare-and-set for one attempt (Run.objects.move_attempt, the written-out statement
of the status events and the publish) moves a run exactly when move() would: from every status
to every status, only along the transition table (late reports widening it as the table says);
never for another attempt or fence; never a cancelled run when asked for an uncancelled one;
and the fields it sets are stored as the ORM stores them."""

import itertools

import pytest
from django.utils import timezone

from tasks_app import states
from tasks_app.models import Run


@pytest.fixture
def pair_of_runs(make_task):
    task = make_task()

    def make(status, **fields):
        return [Run.objects.create(task=task, trigger=Run.Trigger.MANUAL, status=status, attempt=2, fence="f",
                                   **fields) for _ in range(2)]
    return make


@pytest.mark.parametrize("late", [False, True])
def test_it_moves_exactly_when_move_would(pair_of_runs, late):
    for source, target in itertools.product(states.STATUSES, repeat=2):
        by_queryset, written_out = pair_of_runs(source)
        expected = int(source in states.sources_of(target, late))
        assert Run.objects.filter(pk=by_queryset.pk, attempt=2, fence="f").move(target, late_report=late) == expected
        assert Run.objects.move_attempt(written_out.pk, 2, "f", target, late_report=late) == expected, (source, target)
        assert Run.objects.get(pk=written_out.pk).status == Run.objects.get(pk=by_queryset.pk).status


def test_another_attempt_fence_or_a_cancel_moves_nothing(pair_of_runs):
    run, cancelled = pair_of_runs(states.QUEUED)
    assert Run.objects.move_attempt(run.pk, 1, "f", states.RUNNING) == 0
    assert Run.objects.move_attempt(run.pk, 2, "g", states.RUNNING) == 0
    Run.objects.filter(pk=cancelled.pk).update(cancel_requested_at=timezone.now())
    assert Run.objects.move_attempt(cancelled.pk, 2, "f", states.RUNNING, uncancelled=True) == 0
    assert Run.objects.move_attempt(cancelled.pk, 2, "f", states.RUNNING) == 1
    assert Run.objects.get(pk=run.pk).status == states.QUEUED


def test_the_fields_it_sets_read_back_as_given(pair_of_runs):
    run, _ = pair_of_runs(states.RUNNING)
    at = timezone.now()
    fields = dict(finished_at=at, exit_code=3, http_status=None, stdout="out\nü", stderr="", error="boom",
                  response_headers={"Content-Type": "text/plain"}, worker="w9")
    assert Run.objects.move_attempt(run.pk, 2, "f", states.FAILED, **fields) == 1
    stored = Run.objects.get(pk=run.pk)
    assert stored.status == states.FAILED
    assert {name: getattr(stored, name) for name in fields} == fields
