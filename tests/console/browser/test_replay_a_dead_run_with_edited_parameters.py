"""In a browser: a run that used up its retries is in Dead letters with its reason and attempts;
Replay with an edited parameter runs it again as a new run, which succeeds."""

import re

import pytest

from tasks_app.models import Run, Task
from tasks_app.services import definitions

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
COMMAND = 'if [ "$TP_PARAM_MODE" = ok ]; then echo fine; else echo "mode $TP_PARAM_MODE is broken" >&2; exit 3; fi'


def test_replay_a_dead_run_with_edited_parameters(console, users):
    platform = console.platform
    platform.start("control")
    platform.start("dispatcher")  # its sweep starts the retry
    worker_id = f"w-{platform.uid}"  # unique: a shared RabbitMQ has one pidbox queue per node name
    platform.start("worker", "--worker-id", worker_id)
    task = Task.objects.create(name="fragile", type="shell", spec={"command": COMMAND}, max_retries=1,
                               retry_delay_seconds=0.5, retry_backoff=1, retry_jitter=False,
                               params={"mode": "broken", "size": "3"})
    dead = platform.wait_run(definitions.trigger(task, by="test").pk, "dead", timeout=90)
    assert dead.attempt == 2
    console.sign_in(*users("ada", superuser=True))

    page = console.goto("/ui/deadletters/")
    row = page.locator(f'tr[data-letter="run-{dead.pk}"]')
    row.wait_for()
    assert "fragile" in row.inner_text() and "run" in row.inner_text()
    row.get_by_text("2 attempts").click()
    assert row.locator("ol li").count() == 2
    console.screenshot("deadletters")
    row.get_by_role("link", name="Replay…").click()  # to the run's page, its replay form open
    page.wait_for_url(re.compile(rf".*/ui/runs/{dead.pk}/\?replay=1.*"))
    form = page.locator("#replay")
    keys = form.locator("input[name=param_key]")
    values = form.locator("input[name=param_value]")
    mode = next(i for i in range(keys.count()) if keys.nth(i).input_value() == "mode")
    assert values.nth(mode).input_value() == "broken"
    values.nth(mode).fill("ok")
    form.get_by_role("button", name="Replay as a new run").click()

    page.wait_for_url(re.compile(r".*/ui/runs/\d+/$"))
    new = Run.objects.get(replay_of=dead)
    assert page.url.endswith(f"/ui/runs/{new.pk}/")
    assert new.params == {"mode": "ok", "size": "3"} and new.trigger == "replay" and new.triggered_by == "user:ada"
    page.locator('#run-status[data-status="succeeded"]').wait_for(timeout=90_000)
    assert platform.wait_run(new.pk, "succeeded").stdout == "fine\n"
    page.locator("#stdout").wait_for()
    assert f"replay of #{dead.pk}" in page.locator("#run-facts").inner_text()
