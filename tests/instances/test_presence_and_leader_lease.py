import json

from instances_app import presence
from instances_app.lease import Lease, current_leader, request_stepdown
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis


def test_presence_is_a_key_with_the_owner_ttl(redis_prefix, settings):
    record = presence.announce("scheduler-1", inbox_pending=0)
    raw = get_redis().get(f"{redis_prefix}:schedulers:presence:scheduler-1")
    assert json.loads(raw)["instance_id"] == "scheduler-1" == record["instance_id"]
    assert 0 < get_redis().ttl(keys.presence("scheduler-1")) <= settings.TP.scheduler.phase2.owner_ttl_seconds
    assert "control" in record["roles"]
    presence.announce("scheduler-2")
    assert [i["instance_id"] for i in presence.live_instances()] == ["scheduler-1", "scheduler-2"]
    presence.withdraw("scheduler-1")
    assert [i["instance_id"] for i in presence.live_instances()] == ["scheduler-2"]
    assert presence.known_instances() == ["scheduler-1", "scheduler-2"]  # for adopting inboxes


def test_one_leader_at_a_time_with_growing_fencing_tokens(redis_prefix):
    a, b = Lease("a"), Lease("b")
    assert a.hold() and not b.hold()
    assert a.hold()  # renewed
    assert current_leader()["instance_id"] == "a"
    first = a.token
    get_redis().delete(keys.leader())  # a's lease expired (it stalled)
    assert b.hold()
    assert not a.hold()  # the stale leader cannot renew what b holds now
    assert b.token > first


def test_step_down_releases_and_stays_away_for_a_ttl(redis_prefix):
    a, b = Lease("a"), Lease("b")
    assert a.hold()
    request_stepdown("a")
    assert not a.hold()
    assert current_leader() is None
    assert b.hold() and not a.hold()
