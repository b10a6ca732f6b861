"""The acceptance check: after a known workload through real control and worker processes,
every scrape of a real api with two gunicorn workers shows exactly the expected counts,
whichever worker answers (each answers at least once)."""

import concurrent.futures
import re
import time

import pytest
import requests

from tasks_app.models import Task
from tasks_app.services import definitions
from tests.observability.helpers import samples, wait_for_http
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e
N_OK, N_FAILED = 3, 2
OK = ("tasks_executed_total", (("status", "succeeded"), ("task_type", "shell")))
FAILED = ("tasks_executed_total", (("status", "failed"), ("task_type", "shell")))
FAILURES = ("scheduler_task_failures_total", (("status", "failed"), ("task_type", "shell")))
DURATIONS = ("task_execution_duration_seconds_count", (("task_type", "shell"),))
JOBS_OK = ("scheduler_jobs_total", (("status", "succeeded"),))
JOBS_FAILED = ("scheduler_jobs_total", (("status", "failed"),))
SCRAPES = ("django_http_requests_total_by_view_transport_method_total",
           (("method", "GET"), ("transport", "http"), ("view", "prometheus-django-metrics")))
ANSWERED_BY = re.compile(r'"GET /metrics HTTP/1\.1" 200 .* <(\d+)>\s*$', re.MULTILINE)


def test_n_succeeded_and_m_failed_runs_show_exactly_in_every_scrape(platform):
    platform.reconfigure(replace={"workers = 1\n": "workers = 2\n"})
    platform.start("control")
    platform.start("worker", "--worker-id", "w1")
    platform.start("api")
    ok = Task.objects.create(name="ok", type="shell", spec={"command": "true"}, max_retries=0)
    bad = Task.objects.create(name="bad", type="shell", spec={"command": "exit 1"}, max_retries=0)
    runs = [definitions.trigger(ok) for _ in range(N_OK)] + [definitions.trigger(bad) for _ in range(N_FAILED)]
    for run in runs:
        platform.wait_run(run.pk, {"succeeded", "failed"}, timeout=90)

    url = f"http://127.0.0.1:{platform.api_port}/metrics"
    wait_for_http(url, 60, f"the api to answer\n{platform.log('api')[-3000:]}")

    def scrape():
        # A new connection each time, so the two workers take turns accepting.
        return samples(requests.get(url, timeout=10, headers={"Connection": "close"}).text)

    # A `started` event overtaken by its `finished` adds its duration when it arrives.
    wait_for(lambda: scrape().get(DURATIONS) == N_OK + N_FAILED, 30, "every attempt's duration observed")

    def check(found):
        assert (found.get(OK), found.get(FAILED), found.get(FAILURES)) == (N_OK, N_FAILED, N_FAILED), found
        assert found.get(DURATIONS) == N_OK + N_FAILED
        assert (found.get(JOBS_OK), found.get(JOBS_FAILED)) == (N_OK, N_FAILED)
        return found

    before = check(scrape())[SCRAPES]
    made, seen, deadline = 0, set(), time.monotonic() + 60
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        while len(seen) < 2:  # concurrent connections, so both workers accept some
            assert time.monotonic() < deadline, f"only workers {seen} answered /metrics"
            for found in pool.map(lambda _: scrape(), range(4)):
                check(found)
                made += 1
            seen = set(ANSWERED_BY.findall(platform.log("api")))

    # django-prometheus's own counters are summed over both workers too: every scrape counted once.
    assert check(scrape())[SCRAPES] == before + 1 + made
    assert list(platform.tmp.glob("data/prometheus/api-*/counter_*.db")), "no multiprocess files"
