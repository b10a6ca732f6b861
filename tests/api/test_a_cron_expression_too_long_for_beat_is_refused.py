"""A cron expression that would not fit django-celery-beat's crontab row is a 400 naming
schedule.cron, not a database error (a 500) when the task is saved and synced to beat."""

import pytest

from tests.api.resource_suite import assert_error


def _task(cron: str) -> dict:
    return {"name": "long-cron", "type": "http", "spec": {"url": "https://example.com/"}, "schedule": {"cron": cron}}


@pytest.mark.parametrize(
    "cron",
    [
        "1," * 50_000 + "1 * * * *",  # 100 KB
        "0 " + "1," * 50 + "1 * * *",  # short, but its hour field overflows varchar(96)
    ],
    ids=["100KB", "hour-field"],
)
def test_it_is_a_400_naming_the_field(admin_client, cron):
    error = assert_error(admin_client.post("/api/v1/tasks/", _task(cron), format="json"), 400)
    assert "schedule.cron" in str(error), error
    assert admin_client.get("/api/v1/tasks/").json()["count"] == 0


def test_the_limits_are_the_beat_columns(db):
    from django_celery_beat.models import CrontabSchedule

    from tasks_app.schedules import CELERY_FIELD_LIMITS

    columns = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"]
    assert list(CELERY_FIELD_LIMITS.values()) == [CrontabSchedule._meta.get_field(c).max_length for c in columns]
