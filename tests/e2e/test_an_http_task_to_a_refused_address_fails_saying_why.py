"""An HTTP task whose target the worker's policy refuses (cloud metadata; loopback when
http_allow does not list it) fails with a run error that says so, decided on the worker."""

import pytest

from tasks_app.models import Task
from tasks_app.services import definitions

pytestmark = pytest.mark.e2e


def test_the_run_fails_with_the_policy_error(platform):
    platform.reconfigure(replace={'http_allow = ["127.0.0.0/8"]': 'http_allow = ["127.0.0.2/32"]'})
    platform.start("control")
    platform.start("worker")
    metadata = Task.objects.create(name="metadata", type="http", max_retries=0,
                                   spec={"url": "http://169.254.169.254/latest/meta-data/"})
    redis = Task.objects.create(name="redis", type="http", max_retries=0, spec={"url": "http://127.0.0.1:6379/"})
    for task, why in ((metadata, "link-local or cloud metadata"), (redis, "denied by [worker] http_deny")):
        run = platform.wait_run(definitions.trigger(task).pk, {"succeeded", "failed", "dead"}, timeout=60)
        assert run.status == "failed" and run.http_status is None, (run.status, run.error)
        assert "refused by the HTTP target policy" in run.error and why in run.error, run.error
