"""In a browser: open a running run's page, press Cancel, confirm, and watch it end `cancelled`
(the page follows live); the command's process is gone and the run records who cancelled it."""

import pytest

from tasks_app.models import Task
from tasks_app.services import definitions
from tests.support.processes import sleepers, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_cancel_from_the_run_page(console, users):
    platform = console.platform
    platform.start("control")
    worker_id = f"w-{platform.uid}"  # unique: a shared RabbitMQ has one pidbox queue per node name
    platform.start("worker", "--worker-id", worker_id)
    task = Task.objects.create(name="long", type="shell", spec={"command": "echo started; sleep 217"}, max_retries=0)
    run = definitions.trigger(task, by="test")
    console.sign_in(*users("ada", superuser=True))

    page = console.goto(f"/ui/runs/{run.pk}/")
    page.locator("#log .line", has_text="started").wait_for(timeout=60_000)  # it runs: its first line is here
    page.locator('#run-status[data-status="running"]').wait_for()
    assert wait_for(lambda: sleepers(217), 30, "the command's sleep")
    page.once("dialog", lambda dialog: dialog.accept())  # "Cancel run #...?"
    page.get_by_role("button", name="Cancel run").click()

    page.locator('#run-status[data-status="cancelled"]').wait_for(timeout=60_000)
    # Once final, the page shows the run's record: nothing left to cancel, who did, the output.
    page.wait_for_function("!document.getElementById('cancel-run')", timeout=30_000)
    assert "user:ada" in page.locator("#run-facts").inner_text()
    assert "started" in page.locator("#stdout").inner_text()
    cancelled = platform.wait_run(run.pk, "cancelled")
    assert cancelled.cancelled_by == "user:ada"
    wait_for(lambda: not sleepers(217), 30, "the cancelled command's process group to be gone")
    console.screenshot("run-cancelled")
