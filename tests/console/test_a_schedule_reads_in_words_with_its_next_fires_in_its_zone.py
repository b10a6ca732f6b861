"""The schedule builder's preview and a task's page say a schedule in words and list its next
fires in the schedule's zone, the same instants the engine fires at (tasks_app.schedules)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from console_app.present import cron_words
from tasks_app.models import Task
from tasks_app.schedules import next_fire_times, parse_schedule


def test_the_preview_words_and_fires(signed_in, db):
    client = signed_in("TaskRead")
    data = client.get("/ui/tasks/schedule-preview/", {"schedule_kind": "cron", "cron": "30 2 * * *",
                                                      "timezone": "America/New_York"}).json()
    assert data["words"] == "At 02:30" and data["zone"] == "America/New_York" and len(data["fires"]) == 10
    expected = next_fire_times(parse_schedule({"cron": "30 2 * * *", "timezone": "America/New_York"},
                                              default_anchor=timezone.now()), timezone.now(), 10)
    assert data["fires"][0] == expected[0].astimezone(ZoneInfo("America/New_York")).strftime("%a %Y-%m-%d %H:%M:%S %Z")
    assert all(" 02:30:00 E" in f for f in data["fires"])  # EST or EDT: local wall-clock time

    bad = client.get("/ui/tasks/schedule-preview/", {"schedule_kind": "cron", "cron": "61 * * * *", "timezone": "UTC"})
    assert bad.status_code == 400 and bad.json()["field"] == "cron" and bad.json()["error"].startswith("schedule.cron:")
    zone = client.get("/ui/tasks/schedule-preview/", {"schedule_kind": "once", "at": "2030-01-01T10:00",
                                                      "timezone": "Nowhere/City"})
    assert zone.status_code == 400 and zone.json()["field"] == "timezone"
    once = client.get("/ui/tasks/schedule-preview/", {"schedule_kind": "once", "at": "2030-01-01T10:00",
                                                      "timezone": "Asia/Tokyo"}).json()
    assert once["fires"] == ["Tue 2030-01-01 01:00:00 UTC"]  # 10:00 in Tokyo, shown in UTC as the API does


def test_both_day_fields_read_as_either():
    assert cron_words("0 0 1 * mon") == "At 00:00, on day 1 of the month, or only on Monday"
    assert cron_words("*/5 * * * *") == "Every 5 minutes"
    assert cron_words("@daily") == "At 00:00"


def test_a_task_page_lists_ten_fires_in_the_tasks_zone(signed_in, db):
    client = signed_in("TaskRead")
    task = Task.objects.create(name="tokyo", type="shell", spec={"command": "true"},
                               schedule={"cron": "0 9 * * 1-5", "timezone": "Asia/Tokyo"})
    html = client.get(f"/ui/tasks/{task.pk}/").content.decode()
    fires = next_fire_times(task.parsed_schedule, datetime.now(UTC), 10)
    assert "At 09:00, Monday through Friday" in html
    for moment in fires:
        assert moment.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %Y-%m-%d 09:00:00 JST (UTC+0900)") in html
