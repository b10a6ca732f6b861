"""Every console page answers a staff user with the read roles, shows what it is about, and
offers no action: a TaskRead (and WorkerRead) user sees no button that would change anything."""

import re

import pytest

ACTION_MARKERS = ("Trigger", "Pause", "Resume", "Cancel run", "Replay", "Purge", "Drain", "New task", "Edit")


@pytest.fixture
def reader(signed_in):
    return signed_in("TaskRead", "WorkerRead", name="reader")


def pages(world) -> dict[str, list[str]]:
    b, dead, running = world["berlin"], world["dead"], world["running"]
    return {
        "/ui/": ["Runs per minute", "nightly-report", "node-1", "Leader"],
        "/ui/tasks/": ["nightly-report", "ping-api", "At 02:30", "Europe/Berlin", "Every 5 minutes"],
        f"/ui/tasks/{b.pk}/": ["Next 10 fires", "02:30:00 CE", "echo report", "History"],
        "/ui/runs/": [f"#{dead.pk}", "nightly-report"],
        f"/ui/runs/{running.pk}/": ["Output", "live, from the first line", f"/api/v1/runs/{running.pk}/events"],
        f"/ui/runs/{dead.pk}/": ["disk full", "Attempts"],
        "/ui/workers/": ["node-1", "stalled", "draining"],
        "/ui/workers/node-1/": ["Recent runs", "worker@node-1"],
        "/ui/deadletters/": [f"run-{dead.pk}", world["letter"], "disk full", "unknown command"],
    }


def test_a_reader_sees_every_page_without_action_buttons(reader, world):
    for path, expected in pages(world).items():
        response = reader.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.content.decode()
        for text in expected:
            assert text in html, (path, text)
        buttons = re.findall(r"<button[^>]*>(.*?)</button>", html, re.S) + re.findall(
            r'class="button[^"]*"[^>]*>(.*?)</', html, re.S)
        acting = [b for b in buttons if any(marker in b for marker in ACTION_MARKERS)]
        assert acting == [], (path, acting)


def test_nobody_signed_in_goes_to_the_sign_in_page(client, world):
    response = client.get("/ui/tasks/")
    assert response.status_code == 302 and response["Location"].startswith("/ui/login/?next=/ui/tasks/")
