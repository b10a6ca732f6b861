"""The dashboard in a real headless Chromium against a real api process: log in through the
admin's form as a staff user, see the live data, watch it change without reloading, and
keep a screenshot (tests/artifacts/dashboard.png)."""

import os
import shutil

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from scheduler_project.config import BASE_DIR
from tasks_app.models import Run
from tests.deploy._tools import missing
from tests.monitoring.helpers import seed_live_data
from tests.observability.helpers import wait_for_http
from workers_app.models import Worker

pytestmark = pytest.mark.e2e
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOT = BASE_DIR / "tests" / "artifacts" / "dashboard.png"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1440,1100")


@pytest.fixture
def browser(tmp_path):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        missing("chromium and chromium-driver (Debian packages)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def test_an_operator_sees_live_data_in_a_real_browser(platform, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    User.objects.create_user("operator", password="correct-horse-battery", is_staff=True)
    seeded = seed_live_data()
    platform.start("api")
    base = f"http://127.0.0.1:{platform.api_port}"
    wait_for_http(f"{base}/health", 60, f"the api to answer\n{platform.log('api')[-3000:]}")

    browser.get(f"{base}/dashboard")  # not logged in: the admin's login form, then back here
    WebDriverWait(browser, 20).until(lambda d: "/admin/login/" in d.current_url)
    browser.find_element(By.ID, "id_username").send_keys("operator")
    browser.find_element(By.ID, "id_password").send_keys("correct-horse-battery")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda d: d.current_url.endswith("/dashboard"))

    def text(selector: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, selector).text

    running_id = seeded["running"].pk
    assert "Leader: ctrl-b" in text("#leader")
    assert "ctrl-a" in text("#instances") and "api, control" in text("#instances")
    node7 = text('#workers tr[data-worker="node-7"]')
    assert "online" in node7 and "25%" in node7 and "1/4" in node7 and "ok" in node7
    assert "stalled for " in text('#workers tr[data-worker="node-8"]')
    assert "nightly-report" in text(f'#running tr[data-run="{running_id}"]')
    assert text("#card-failure-rate .value") == "40.0%"
    assert text("#card-dead-letters .value") == "3"
    # Queue depths come from the broker on a thread the page waits for at most 3 s: on a busy
    # machine the first render may say "unavailable" and a later refresh fills it in.
    WebDriverWait(browser, 20, poll_frequency=0.5).until(lambda d: "tasks.shell" in text("#section-queues"))

    # Live: the running run ends, another starts, a new worker beats; the page follows, no reload.
    Run.objects.filter(pk=running_id).update(status="succeeded")
    started = Run.objects.create(task=seeded["task"], trigger="api", status="running", worker="node-9",
                                 started_at=timezone.now())
    Worker.objects.create(worker_id="node-9", host="host-9", concurrency=2, load=0.5, running=["r"])
    WebDriverWait(browser, 20, poll_frequency=0.5).until(
        lambda d: f'data-run="{started.pk}"' in d.find_element(By.ID, "running").get_attribute("outerHTML")
        and "node-9" in text("#workers"))
    assert f"#{running_id}" not in text("#running")
    assert "succeeded" in text(f'#recent tr[data-run="{running_id}"]')
    assert "update failed" not in text("#updated")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
