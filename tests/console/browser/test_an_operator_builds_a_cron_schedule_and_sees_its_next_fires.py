"""In a browser: create a cron task with the schedule builder (preset, zone picker, the preview
saying it in words), get the cron wrong once and see the API's message next to the field with
nothing saved, then save it and see its next 10 fires in its own zone on the task's page."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tasks_app.models import Task
from tasks_app.schedules import next_fire_times

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_a_cron_task_from_the_builder(console, users):
    console.sign_in(*users("ada", superuser=True))
    page = console.goto("/ui/tasks/")
    page.get_by_role("link", name="New task").click()
    page.get_by_label("Name", exact=True).fill("tokyo-morning-report")
    page.get_by_label("Command").fill('echo "good morning"')
    page.get_by_label("cron", exact=True).check()
    page.get_by_label("Cron expression").fill("0 9 * * 1-5 *")  # six fields: wrong
    page.get_by_label("Time zone").fill("Asia/Tokyo")
    page.get_by_role("button", name="Create task").click()

    # Refused with the schedule validator's message, next to the cron field; nothing saved.
    error = page.locator("#err-cron")
    error.wait_for()
    assert error.inner_text().startswith("schedule.cron:")
    assert "nothing was changed" in page.locator("#form-errors").inner_text()
    assert not Task.objects.filter(name="tokyo-morning-report").exists()
    assert page.get_by_label("Time zone").input_value() == "Asia/Tokyo"  # what was typed stays

    page.get_by_role("button", name="weekdays at 09:00").click()  # a preset fills the expression
    assert page.get_by_label("Cron expression").input_value() == "0 9 * * 1-5"
    preview = page.locator("#schedule-preview")
    preview.get_by_text("At 09:00, Monday through Friday").wait_for()
    assert "next fires in Asia/Tokyo" in preview.inner_text()
    assert len(preview.locator("li").all()) == 10
    console.screenshot("task-form")
    page.get_by_role("button", name="Create task").click()

    page.wait_for_url(re.compile(r".*/ui/tasks/\d+/$"))
    task = Task.objects.get(name="tokyo-morning-report")
    assert task.schedule == {"cron": "0 9 * * 1-5", "timezone": "Asia/Tokyo"}
    assert page.locator("h1").inner_text().startswith("tokyo-morning-report")
    assert "in Asia/Tokyo" in page.locator("#h-fires").inner_text()
    shown = page.locator("#next-fires li").all_inner_texts()
    expected = [t.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %Y-%m-%d %H:%M:%S %Z (UTC%z)")
                for t in next_fire_times(task.parsed_schedule, timezone.now(), 10)]
    assert shown == expected and all("09:00:00 JST" in line for line in shown)
    console.screenshot("task-page")
