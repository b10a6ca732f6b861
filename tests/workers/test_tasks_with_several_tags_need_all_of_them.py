"""A task's tags are all required: it is routed to the queue of its whole tag set, which only a
worker holding every one of those tags consumes."""

import pytest
from django.core.exceptions import ValidationError

from scheduler_project.queues import execution_queues
from tasks_app.models import Task
from tasks_app.services.dispatch import route


def worker_queues(tags):
    return set(execution_queues("tasks", ["shell"], tags))


@pytest.mark.django_db
def test_a_task_reaches_only_workers_with_all_its_tags(settings):
    task = Task(name="t", type="shell", spec={"command": "true"}, tags=["gpu", "eu"])
    queue = route(task)
    assert queue == f"{settings.TP.message_queue.task_queue}.shell.eu+gpu"
    prefix = settings.TP.message_queue.task_queue
    served = {tags: queue in set(execution_queues(prefix, ["shell"], list(tags)))
              for tags in [("gpu",), ("eu",), ("eu", "gpu"), ("eu", "gpu", "ssd")]}
    assert served == {("gpu",): False, ("eu",): False, ("eu", "gpu"): True, ("eu", "gpu", "ssd"): True}


@pytest.mark.django_db
def test_tag_order_and_repeats_do_not_change_the_queue():
    one = Task(name="a", type="shell", spec={"command": "true"}, tags=["gpu", "eu", "gpu"])
    other = Task(name="b", type="shell", spec={"command": "true"}, tags=["eu", "gpu"])
    assert route(one) == route(other)


def test_a_worker_consumes_every_combination_of_its_tags():
    assert worker_queues(["gpu", "eu"]) == {"tasks.shell", "tasks.shell.eu", "tasks.shell.gpu", "tasks.shell.eu+gpu"}
    assert worker_queues([]) == {"tasks.shell"}
    with pytest.raises(ValueError, match="at most 6 tags"):
        worker_queues([f"t{i}" for i in range(7)])


@pytest.mark.django_db
def test_tasks_with_unservable_tags_are_refused():
    task = Task(name="many", type="shell", spec={"command": "true"}, tags=[f"t{i}" for i in range(7)])
    with pytest.raises(ValidationError) as caught:
        task.full_clean()
    assert "at most 6 tags" in str(caught.value.message_dict["tags"])
    task.tags = ["has+plus"]
    with pytest.raises(ValidationError) as caught:
        task.full_clean()
    assert "letters, digits" in str(caught.value.message_dict["tags"])
