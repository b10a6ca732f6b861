from django.core.checks import run_checks


def test_a_task_longer_than_the_visibility_timeout_is_a_check_error(make_task, settings):
    if settings.TP.message_queue.type != "redis_stream":
        settings.TP = settings.TP.model_copy(
            update={"message_queue": settings.TP.message_queue.model_copy(update={"type": "redis_stream"})}
        )
    from tasks_app.models import Task

    task = make_task(timeout_seconds=60)
    Task.objects.filter(pk=task.pk).update(timeout_seconds=settings.TP.message_queue.redis.visibility_timeout_seconds)
    errors = [m for m in run_checks(tags=["taskplane"]) if m.id == "taskplane.W010"]
    assert errors and "visibility_timeout_seconds" in errors[0].msg


def test_short_tasks_pass(make_task):
    make_task(timeout_seconds=60)
    assert not [m for m in run_checks(tags=["taskplane"]) if m.id == "taskplane.W010"]


def test_a_new_task_longer_than_the_visibility_timeout_is_refused(make_task, settings):
    import pytest
    from django.core.exceptions import ValidationError

    if settings.TP.message_queue.type != "redis_stream":
        pytest.skip("the limit is the Redis broker's")
    with pytest.raises(ValidationError, match="visibility_timeout_seconds"):
        make_task(timeout_seconds=settings.TP.message_queue.redis.visibility_timeout_seconds)
