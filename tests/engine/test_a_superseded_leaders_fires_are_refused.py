"""The leader lease's fencing token rides with beat's fires: control refuses a batch sent under
a lease that a newer leader has superseded, and fires a batch of the current leader's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from instances_app.lease import Lease
from tasks_app import tasks as control
from tasks_app.models import Run, Task

pytestmark = pytest.mark.django_db


def due_task() -> Task:
    task = Task.objects.create(name=f"every-minute-{Task.objects.count()}", type="shell", spec={"command": "true"},
                               schedule={"interval_seconds": 60})
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(minutes=5),
                                           last_scheduled_for=timezone.now() - timedelta(seconds=90))
    return task


def test_fires_of_a_superseded_leader_are_refused(redis_prefix, no_publish):
    task = due_task()
    old = Lease("old")
    assert old.hold()
    stale_token = old.token
    old.release()  # as if its TTL ran out while it stalled
    new = Lease("new")
    assert new.hold() and new.token > stale_token

    assert control.fire_schedules([task.pk], fence=stale_token) == 0
    assert not Run.objects.filter(task=task).exists()
    assert control.fire_schedules([task.pk], fence=new.token) >= 1
    assert Run.objects.filter(task=task, trigger=Run.Trigger.SCHEDULE).exists()
    new.release()


def test_without_a_newer_leader_or_without_a_token_fires_are_taken(redis_prefix, no_publish):
    first, second = due_task(), Task.objects.get(pk=due_task().pk)
    assert control.fire_schedules([first.pk], fence=1) >= 1  # nobody holds a newer lease
    assert control.fire_schedules([second.pk]) >= 1  # a message of the old form, without a token
    assert Run.objects.filter(task__in=[first, second], trigger=Run.Trigger.SCHEDULE).values("task").distinct().count() == 2
