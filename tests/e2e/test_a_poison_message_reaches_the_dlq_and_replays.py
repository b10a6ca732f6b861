"""Real control and dispatcher processes: an inbox message whose handler keeps failing is
redelivered by the sweeps, reaches the instance's DLQ after dlq_max_deliveries with its
history, and a replay through the API puts it back into the inbox, where it is delivered again."""

import pytest

from accounts_app.services import create_api_key
from instances_app import deadletters, inbox
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.support.processes import wait_for
from tests.support.redis import inbox_consumers

pytestmark = pytest.mark.e2e


def test_poison_is_dead_lettered_with_history_and_replayed(platform, client):
    instance = platform.config.instance_id
    platform.start("control")
    platform.start("dispatcher")  # beat schedules the inbox sweeps
    group = platform.config.settings.scheduler.phase2.stream_group
    wait_for(lambda: inbox_consumers(instance), 30, "the inbox reader")

    poison = inbox.enqueue(instance, "command", {"name": "self-destruct"})
    letter = wait_for(lambda: next(iter(deadletters.list_letters(instance)), None), 60, "the poison in the DLQ")
    max_deliveries = platform.config.settings.scheduler.phase2.dlq_max_deliveries
    assert letter["source_id"] == poison and letter["deliveries"] == max_deliveries
    assert "unknown command 'self-destruct'" in letter["reason"]
    assert len(letter["history"]) == max_deliveries  # the reader's failure, then each redelivery's
    assert any(h["consumer"].startswith("sweeper:") for h in letter["history"])
    assert inbox.pending_count(instance) == 0

    _, key = create_api_key("replayer", ["TaskWrite"])
    response = client.post(f"/api/v1/deadletters/inbox/inbox-{instance}-{letter['id']}/replay/",
                           HTTP_X_API_KEY=key, content_type="application/json", data={})
    assert response.status_code == 201, response.content
    replayed = response.json()["inbox_entry_id"]
    assert get_redis().xlen(keys.dlq(instance)) == 0

    def delivered_again():
        found = get_redis().xpending_range(keys.inbox(instance), group, min=replayed, max=replayed, count=1)
        return found or next((d for d in deadletters.list_letters(instance) if d["source_id"] == replayed), None)

    wait_for(delivered_again, 30, "the replayed entry to be delivered again")
