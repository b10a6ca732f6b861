"""In a browser: a TaskRead user signs in, sees tasks, runs and dead letters but no button that
would change anything (and no Workers page, which needs WorkerRead); posting anyway, with a
valid CSRF token from the page, gets 403."""

import pytest

from tasks_app.models import Run, Task

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
ACTIONS = ("Trigger", "Pause", "Resume", "Edit", "New task", "Cancel run", "Replay", "Purge", "Drain")


def post_anyway(page, path: str) -> int:
    return page.evaluate("""async (path) => {
        const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
        const response = await fetch(path, {method: 'POST', headers: {'X-CSRFToken': token},
                                             body: new URLSearchParams({param_key: 'x', param_value: '1'})});
        return response.status;
    }""", path)


def test_a_reader_sees_no_action_and_is_refused(console, users):
    task = Task.objects.create(name="readme", type="shell", spec={"command": "true"})
    dead = Run.objects.create(task=task, status="dead", trigger="manual", error="boom")
    console.sign_in(*users("reader", "TaskRead"))
    page = console.page
    for path in ("/ui/", "/ui/tasks/", f"/ui/tasks/{task.pk}/", "/ui/runs/", f"/ui/runs/{dead.pk}/", "/ui/deadletters/"):
        console.goto(path)
        page.locator("h1").wait_for()
        for name in ACTIONS:
            assert page.get_by_role("button", name=name).count() == 0, (path, name)
            assert page.get_by_role("link", name=name, exact=True).count() == 0, (path, name)
    assert page.get_by_role("link", name="Workers").count() == 0
    console.goto(f"/ui/tasks/{task.pk}/")
    console.screenshot("reader-task-page")

    assert post_anyway(page, f"/ui/tasks/{task.pk}/trigger/") == 403
    assert post_anyway(page, f"/ui/runs/{dead.pk}/replay/") == 403
    assert not Run.objects.exclude(pk=dead.pk).exists()
    assert console.goto("/ui/workers/").locator("#refused").inner_text().startswith("This page needs one of the roles")
