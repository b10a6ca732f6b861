"""The admin cannot break what the platform writes or erase its history: the internal beat rows
are read-only and undeletable (a task's own row stays editable), runs and attempts cannot be
deleted (that is `manage.py cleanup`), "API keys" appears once; and admin and console link to
each other."""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tasks_app.models import Run, RunAttempt


def beat_rows():
    every = IntervalSchedule.objects.create(every=2, period="seconds")
    internal = PeriodicTask.objects.create(name="taskplane-sweep", task="control.sweep", interval=every)
    cleanup = PeriodicTask.objects.create(name="celery.backend_cleanup", task="celery.backend_cleanup", interval=every)
    return internal, cleanup


def test_internal_beat_rows_are_read_only_and_undeletable(admin_client, world):
    internal, cleanup = beat_rows()
    assert "taskplane-sweep" in settings.CELERY_BEAT_SCHEDULE
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{internal.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content  # a view, no save button
    posted = admin_client.post(f"/admin/django_celery_beat/periodictask/{internal.pk}/change/",
                               {"name": "renamed", "task": "control.sweep", "enabled": ""})
    assert posted.status_code == 403 and PeriodicTask.objects.get(pk=internal.pk).name == "taskplane-sweep"
    assert admin_client.post(f"/admin/django_celery_beat/periodictask/{cleanup.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    bulk = admin_client.post("/admin/django_celery_beat/periodictask/", {
        "action": "delete_selected", "_selected_action": [internal.pk, cleanup.pk], "post": "yes"})
    assert bulk.status_code == 200 and b"Cannot delete" in bulk.content  # refused
    admin_client.post("/admin/django_celery_beat/periodictask/", {
        "action": "disable_tasks", "_selected_action": [internal.pk]})
    assert PeriodicTask.objects.filter(pk__in=[internal.pk, cleanup.pk]).count() == 2
    assert PeriodicTask.objects.get(pk=internal.pk).enabled

    # A task's own row is the task's schedule: editable, as before.
    world["berlin"].refresh_from_db()
    task_row = world["berlin"].periodic_task
    assert task_row is not None
    page = admin_client.get(f"/admin/django_celery_beat/periodictask/{task_row.pk}/change/")
    assert b'name="_save"' in page.content


def test_runs_and_attempts_cannot_be_deleted(admin_client, world):
    dead = world["dead"]
    assert admin_client.post(f"/admin/tasks_app/run/{dead.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = admin_client.get("/admin/tasks_app/run/")
    assert b"delete_selected" not in listing.content
    admin_client.post("/admin/tasks_app/run/", {"action": "delete_selected", "_selected_action": [dead.pk],
                                                "post": "yes"})
    change = admin_client.get(f"/admin/tasks_app/run/{dead.pk}/change/")
    assert b"attempts-0-DELETE" not in change.content
    assert Run.objects.filter(pk=dead.pk).exists() and RunAttempt.objects.filter(run=dead).count() == 2
    task_page = admin_client.get(f"/admin/tasks_app/task/{world['berlin'].pk}/change/")
    assert b"runs-0-DELETE" not in task_page.content


def test_api_keys_once_and_links_both_ways(admin_client, world):
    index = admin_client.get("/admin/").content.decode()
    assert index.count(">API keys<") == 1 or index.count("API keys") == 1
    assert 'href="/ui/"' in index  # "View site": the console
    run = world["dead"]
    assert f"/ui/runs/{run.pk}/".encode() in admin_client.get(f"/admin/tasks_app/run/{run.pk}/change/").content
    # and the console links to the admin
    from django.test import Client

    client = Client()
    client.force_login(admin_client_user())
    assert 'href="/admin/"' in client.get("/ui/").content.decode()


def admin_client_user():
    from django.contrib.auth.models import User

    return User.objects.get(username="admin")
