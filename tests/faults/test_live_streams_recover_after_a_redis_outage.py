"""Issue 14 item 9: live-stream requests made while Redis is away must not use up the api
process's stream slots: once Redis is back, a stream answers again without a restart. (The
broker plays no part: Redis broker only.)"""


import pytest

from accounts_app.services import create_api_key
from tasks_app.models import Run
from tests.faults import harness
from tests.faults.harness import shell_task
from tests.support.processes import http_get, wait_for

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_live_streams_recover_after_a_redis_outage(fault_platform, command_log):
    platform, v = fault_platform, harness.Violations()
    platform.start("api")
    _, key = create_api_key("fault-streams", ["Admin"])
    headers = {"X-API-Key": key, "Accept": "text/event-stream"}
    task = shell_task(command_log, "true")
    run = Run.objects.create(task=task, trigger="manual", status="succeeded")
    path = f"/api/v1/runs/{run.pk}/events"
    wait_for(lambda: http_get(platform.api_port, "/health")[0] == 200, 60, "the api")
    status, body = http_get(platform.api_port, path, headers, timeout=20)
    assert status == 200 and "event: status" in body, (status, body[:300])

    platform.state_redis.stop()
    slots = max(1, platform.config.settings.api.threads // 2)
    during = [http_get(platform.api_port, path, headers, timeout=20)[0] for _ in range(slots + 2)]
    platform.state_redis.start()

    def answers():
        status, body = http_get(platform.api_port, path, headers, timeout=20)
        return (status == 200 and "event: status" in body) or None

    recovered = harness.wait_until(answers, harness.final_bound(platform.config), interval=1.0)
    last = http_get(platform.api_port, path, headers, timeout=20)
    v.check(recovered, f"no stream {harness.final_bound(platform.config):.0f}s after Redis came back: "
                       f"{last[0]} {last[1][:200]!r} (answers during the outage: {during})")
    v.check(all(s in (200, 503) for s in during), f"answers during the outage: {during}")
    v.assert_none()
