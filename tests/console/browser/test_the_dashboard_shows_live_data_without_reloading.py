"""The /dashboard page in a real Chromium (Playwright) against a real api process: sign in through
the admin's form as a staff user, see the live data, and watch it change without reloading.
(It ran on Selenium inside `make test`; after a click Selenium does not wait for the next page,
so it could look for `#leader` before the page was there. Playwright's locators wait.)"""

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from tasks_app.models import Run
from tests.monitoring.helpers import seed_live_data
from workers_app.models import Worker

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_an_operator_sees_live_data_in_a_real_browser(console):
    User.objects.create_user("operator", password="correct-horse-battery", is_staff=True)
    seeded = seed_live_data()
    page = console.page

    page.goto(console.url("/dashboard"))  # not logged in: the admin's login form, then back here
    page.wait_for_url(re.compile(r".*/admin/login/.*"))
    page.locator("#id_username").fill("operator")
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("input[type=submit]").click()
    page.wait_for_url(console.url("/dashboard"))

    running_id = seeded["running"].pk
    expect(page.locator("#leader")).to_contain_text("Leader: ctrl-b")
    expect(page.locator("#instances")).to_contain_text("ctrl-a")
    expect(page.locator("#instances")).to_contain_text("api, control")
    node7 = page.locator('#workers tr[data-worker="node-7"]')
    for part in ("online", "25%", "1/4", "ok"):
        expect(node7).to_contain_text(part)
    expect(page.locator('#workers tr[data-worker="node-8"]')).to_contain_text("stalled for ")
    expect(page.locator(f'#running tr[data-run="{running_id}"]')).to_contain_text("nightly-report")
    expect(page.locator("#card-failure-rate .value")).to_have_text("40.0%")
    expect(page.locator("#card-dead-letters .value")).to_have_text("3")
    # Queue depths come from the broker on a thread the page waits for at most 3 s: on a busy
    # machine the first render may say "unavailable" and a later refresh fills it in.
    expect(page.locator("#section-queues")).to_contain_text("tasks.shell", timeout=20_000)

    # Live: the running run ends, another starts, a new worker beats; the page follows, no reload.
    Run.objects.filter(pk=running_id).update(status="succeeded")
    started = Run.objects.create(task=seeded["task"], trigger="api", status="running", worker="node-9",
                                 started_at=timezone.now())
    Worker.objects.create(worker_id="node-9", host="host-9", concurrency=2, load=0.5, running=["r"])
    expect(page.locator(f'#running tr[data-run="{started.pk}"]')).to_be_visible(timeout=20_000)
    expect(page.locator("#workers")).to_contain_text("node-9", timeout=20_000)
    expect(page.locator(f'#running tr[data-run="{running_id}"]')).to_have_count(0)
    expect(page.locator(f'#recent tr[data-run="{running_id}"]')).to_contain_text("succeeded")
    expect(page.locator("#updated")).not_to_contain_text("update failed")
    console.screenshot("dashboard")
