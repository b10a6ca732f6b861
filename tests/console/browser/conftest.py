"""The console in a real browser: Playwright driving Debian's Chromium (`apt-get install
chromium`; never a downloaded browser) against real processes (the `platform` fixture: api,
control, worker, dispatcher as each test needs). Marker `browser`: `make test` leaves these out,
CI runs them as their own step (`pytest -m browser`). Screenshots go to var/screenshots/."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group, User

from tests.support.browser import CHROMIUM, Console, launch_args
from tests.support.processes import http_get, wait_for
from tests.support.proxy import CuttableProxy


@pytest.fixture(scope="session")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        missing = f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver (.ci/install-deploy-tools.sh)"
        if os.environ.get("CI"):  # .ci/run installs it: a CI run without it must not pass by skipping
            pytest.fail(missing)
        pytest.skip(missing)
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements/test.txt (playwright)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=launch_args())
        yield browser
        browser.close()


@pytest.fixture
def console(platform, chromium, monkeypatch):
    """The platform's api started, and a fresh browser context on it: console.sign_in(user).
    The browser reaches the api through a proxy the test can cut (console.proxy.cut())."""
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # plain synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    platform.start("api")
    wait_for(lambda: http_get(platform.api_port, "/health")[0] == 200, 90,
             lambda: f"the api to answer\n{platform.log('api')[-3000:]}", interval=0.5)
    proxy = CuttableProxy(platform.api_port)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield Console(page, f"http://127.0.0.1:{proxy.port}", platform, proxy)
    context.close()
    proxy.close()


@pytest.fixture
def users(db):
    """Staff users with passwords: an Admin, and a TaskRead-only reader."""

    def make(name: str, *roles: str, superuser: bool = False) -> tuple[str, str]:
        password = f"{name}-correct-horse"
        user = User.objects.create_user(name, password=password, is_staff=True, is_superuser=superuser)
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        return name, password

    return make
