"""In a browser: the overview (today's dashboard folded into the console) shows the platform at a
glance: cards, runs per minute by outcome, next fires, running and recent runs, workers, queues
(an empty one reads 0), instances, dead letters; times humanised with the exact time on hover;
nothing overflows the page sideways, wide or narrow; and it refreshes itself."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app.models import Run, Task
from tests.support.processes import wait_for
from workers_app.models import Worker

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def seed_history() -> dict:
    """Three hours of runs of a few tasks, as a busy platform has them, and a dead one."""
    rng = random.Random(16)
    now = timezone.now()
    tasks = [Task.objects.create(name=name, type="shell", spec={"command": "true"}, schedule=schedule)
             for name, schedule in (("billing-export", {"cron": "*/10 * * * *", "timezone": "Europe/Berlin"}),
                                    ("cache-warmup", {"interval_seconds": 300}),
                                    ("nightly-backup", {"cron": "30 2 * * *", "timezone": "America/New_York"}),
                                    ("log-rotate", {"cron": "0 * * * *", "timezone": "UTC"}))]
    runs = []
    for minute in range(180):
        busy = 1 + (minute % 60 < 15) * 3  # a busier quarter of each hour
        for _ in range(rng.randint(0, busy)):
            task = rng.choice(tasks)
            at = now - timedelta(minutes=minute, seconds=rng.randint(0, 59))
            status = rng.choices(["succeeded", "failed", "cancelled"], [90, 7, 3])[0]
            runs.append(Run(task=task, status=status, trigger="schedule", scheduled_for=at, created_at=at,
                            started_at=at, finished_at=at + timedelta(seconds=rng.uniform(1, 40)), worker="w1"))
    Run.objects.bulk_create(runs)
    Run.objects.create(task=tasks[2], status="dead", trigger="schedule", attempt=3, worker="w1", error="exit code 2",
                       created_at=now - timedelta(minutes=42), finished_at=now - timedelta(minutes=40))
    return {"tasks": tasks, "runs": len(runs)}


def test_the_overview_at_a_glance(console, users):
    platform = console.platform
    platform.start("control")
    platform.start("dispatcher")  # fires the schedules (next fires) and writes heartbeats to the registry
    worker_id = f"w-{platform.uid}"  # unique: a shared RabbitMQ has one pidbox queue per node name
    platform.start("worker", "--worker-id", worker_id)
    seed = seed_history()
    wait_for(lambda: Worker.objects.filter(worker_id=worker_id).exists(), 60, "the worker's first heartbeat")
    wait_for(lambda: Task.objects.filter(next_fire_at__isnull=False).count() == 4, 60, "the schedules' next fires")
    console.sign_in(*users("ada", superuser=True))
    page = console.page

    page.locator(f"#workers tr[data-worker='{worker_id}']").wait_for()
    chart = page.locator("svg.per-minute")
    assert "runs per minute" in chart.get_attribute("aria-label")
    assert chart.locator("rect.outcome-bad").count() > 0 and chart.locator("rect.outcome-ok").count() > 0
    fires = page.locator("#next-fires tbody tr")
    assert fires.count() == 4 and "billing-export" in page.locator("#next-fires").inner_text()
    recent = page.locator("#recent tbody tr").first
    when = recent.locator("time")
    assert when.get_attribute("title").startswith(str(timezone.now().year))  # the exact time on hover
    assert "ago" in when.inner_text()
    for row in page.locator("#queues tbody tr").all():
        assert row.locator("td").nth(1).inner_text().isdigit()  # 0, never "(not declared)"
    assert "not declared" not in page.content()

    for width in (1400, 900, 600):
        page.set_viewport_size({"width": width, "height": 1000})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a {width}px window"
    page.set_viewport_size({"width": 1400, "height": 1000})

    # It refreshes itself: a run that starts shows up without a reload.
    task = seed["tasks"][0]
    started = Run.objects.create(task=task, status="running", trigger="manual",
                                 started_at=timezone.now())
    page.locator(f"#running tr[data-run='{started.pk}']").wait_for(timeout=30_000)
    console.screenshot("overview")
    page.evaluate("window.scrollTo(0, 0)")
    console.screenshot("overview-top", full_page=False)
