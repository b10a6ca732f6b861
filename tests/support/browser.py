"""Driving the console in a real browser (tests/console/browser): Debian's Chromium, launched
by Playwright (`executable_path`, never a downloaded browser), and a small page helper."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scheduler_project.config import BASE_DIR

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = BASE_DIR / "var" / "screenshots"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def launch_args() -> list[str]:
    return list(FLAGS)


@dataclass
class Console:
    page: object  # playwright.sync_api.Page
    base: str
    platform: object
    proxy: object = None  # tests.support.proxy.CuttableProxy between the browser and the api

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str):
        self.page.goto(self.url(path))
        return self.page

    def sign_in(self, username: str, password: str, start: str = "/ui/") -> None:
        """Through the console's own sign-in form, as a person would."""
        self.page.goto(self.url(start))
        self.page.wait_for_url(re.compile(r".*/ui/login/.*"))
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.url(start))

    def screenshot(self, name: str, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

