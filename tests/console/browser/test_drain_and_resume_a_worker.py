"""In a browser: drain a worker with a deadline from the Workers page; it stops consuming and
reads drained; resume it and it consumes again."""

import pytest

from tests.support.processes import wait_for
from workers_app.models import Worker

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_drain_and_resume(console, users):
    platform = console.platform
    platform.start("control")
    platform.start("dispatcher")  # its workers sweep writes the heartbeats to the registry
    worker_id = f"w-{platform.uid}"  # unique: a shared RabbitMQ has one pidbox queue per node name
    platform.start("worker", "--worker-id", worker_id)
    worker = wait_for(lambda: Worker.objects.filter(worker_id=worker_id, consuming__isnull=False).exclude(consuming=[])
                      .first(), 60, "the worker's first heartbeat")
    queues = list(worker.consuming)
    console.sign_in(*users("ada", superuser=True))

    page = console.goto("/ui/workers/")
    row = page.locator(f'tr[data-worker="{worker_id}"]')
    row.wait_for()
    assert "online" in row.inner_text() and "ok" in row.inner_text()
    row.get_by_label("deadline, s").fill("300")
    row.get_by_role("button", name="Drain").click()
    page.get_by_text(f"Draining {worker_id}").wait_for()
    drained = wait_for(lambda: Worker.objects.filter(worker_id=worker_id, consuming=[]).first(), 60,
                       "the drained worker to stop consuming")
    assert drained.status == "draining" and drained.drain_requested_by == "user:ada"
    assert 290 <= (drained.drain_deadline - drained.drain_requested_at).total_seconds() <= 300
    page.locator(f'tr[data-worker="{worker_id}"] [data-drain="drained"]').wait_for(timeout=60_000)  # the page refreshes itself
    console.screenshot("workers")

    page.locator(f'tr[data-worker="{worker_id}"]').get_by_role("button", name="Resume").click()
    page.get_by_text(f"{worker_id} takes work again").wait_for()
    wait_for(lambda: Worker.objects.get(worker_id=worker_id).consuming == queues, 60, "the worker to consume again")
    assert Worker.objects.get(worker_id=worker_id).status == "online"
