"""In a browser: trigger a task with a parameter from its page, land on the run's page and watch
its output arrive line by line while it runs, from line 1; force reconnects of the live stream
midway (the page's own, and a network outage the browser recovers from by itself) and lose no
line and show none twice; a page opened late starts at line 1 too; at the end the captured
output replaces the live one."""

import re

import pytest

from tasks_app.models import Run, Task
from tests.support.processes import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
LINES = 40
COMMAND = f'for i in $(seq 1 {LINES}); do echo "line $i $TP_PARAM_GREETING"; sleep 0.25; done; sleep 2'


def count(page) -> int:
    return page.locator("#log .line").count()


def test_live_output_line_by_line_without_gaps(console, users):
    platform = console.platform
    platform.start("control")
    worker_id = f"w-{platform.uid}"  # unique: a shared RabbitMQ has one pidbox queue per node name
    platform.start("worker", "--worker-id", worker_id)
    task = Task.objects.create(name="chatty", type="shell", spec={"command": COMMAND}, max_retries=0)
    console.sign_in(*users("ada", superuser=True))

    page = console.goto(f"/ui/tasks/{task.pk}/")
    page.locator("#trigger summary").click()
    page.locator("#trigger-params-key-1").fill("greeting")
    page.locator("#trigger-params-value-1").fill("hello")
    page.get_by_role("button", name="Trigger now").click()
    page.wait_for_url(re.compile(r".*/ui/runs/\d+/$"))
    run = Run.objects.get(task=task)
    assert run.params == {"greeting": "hello"}

    page.wait_for_function("document.querySelectorAll('#log .line').length >= 3", timeout=60_000)
    seen_partial = count(page)
    assert 0 < seen_partial < LINES  # it is arriving while the run runs, not all at the end
    # Batches may be applied out of order by the control role's threads (seen on RabbitMQ): each
    # line carries its number and the page puts it in its place.
    page.locator('#log .line[data-n="1"]').wait_for()
    assert page.locator("#log .line").first.inner_text() == "line 1 hello"
    assert page.locator("#log .line").first.get_attribute("data-n") == "1"
    page.wait_for_function("document.getElementById('live-state').textContent === 'live'")

    # A reconnect of the page's own: a new stream resumed from the last event id it got.
    before = console.page.evaluate("window.taskplaneLive.lastEventId()")
    assert before.startswith("1:")
    page.evaluate("window.taskplaneLive.reconnect()")

    # A page opened late: it starts at line 1 as well.
    page.wait_for_function("document.querySelectorAll('#log .line').length >= 12", timeout=60_000)
    late = page.context.new_page()
    late.goto(console.url(f"/ui/runs/{run.pk}/"))
    late.wait_for_function("document.querySelectorAll('#log .line').length >= 12", timeout=60_000)
    late.locator('#log .line[data-n="1"]').wait_for()
    assert late.locator("#log .line").first.inner_text() == "line 1 hello"
    console.screenshot("run-live", full_page=False)

    # The network drops every connection (a blip, a load balancer): EventSource reconnects by
    # itself, sending the Last-Event-ID header.
    opened = page.evaluate("window.taskplaneLive.connections()")
    assert console.proxy.cut() > 0
    page.wait_for_function(f"window.taskplaneLive.connections() > {opened}", timeout=30_000)

    # The live panel's lines as it showed them: on a loaded machine the last lines can arrive with
    # the final status, and the captured output replaces the live panel 1.2 s later.
    shown = f"window.taskplaneLive.shownLines().length >= {LINES}"
    page.wait_for_function(shown, timeout=90_000)
    lines = page.evaluate("window.taskplaneLive.shownLines()")
    assert lines == [f"line {n} hello" for n in range(1, LINES + 1)], lines  # in order, none lost, none twice
    late.wait_for_function(shown, timeout=60_000)
    assert late.evaluate("window.taskplaneLive.shownLines()") == lines

    # The end: the status changes live, then the captured output is shown.
    page.locator('#run-status[data-status="succeeded"]').wait_for(timeout=60_000)
    page.locator("#stdout").wait_for(timeout=30_000)
    assert page.locator("#stdout").inner_text().splitlines() == lines
    assert wait_for(lambda: Run.objects.filter(pk=run.pk, status="succeeded").exists(), 30, "the run to succeed")
