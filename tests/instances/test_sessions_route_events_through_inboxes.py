import json

from instances_app import sessions
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis


def test_an_event_reaches_the_inbox_of_each_instance_with_an_interested_session(redis_prefix):
    on_b = sessions.open_session({"run_id": 7}, instance_id="b")
    on_c = sessions.open_session({"task_id": 3}, instance_id="c")
    sessions.open_session({"run_id": 8}, instance_id="d")  # not interested

    assert sessions.publish({"kind": "status", "run_id": 7, "task_id": 3, "status": "running"}) == 2
    for instance_id, session_id in (("b", on_b), ("c", on_c)):
        ((entry_id, fields),) = get_redis().xrange(keys.inbox(instance_id))
        assert fields["type"] == "run_event"
        body = json.loads(fields["body"])
        assert body["sessions"] == [session_id] and body["event"]["status"] == "running"
    assert get_redis().xlen(keys.inbox("d")) == 0
    assert sessions.count() == 3


def test_closed_and_expired_sessions_get_nothing(redis_prefix):
    gone = sessions.open_session({"run_id": 1}, instance_id="b")
    sessions.close_session(gone, instance_id="b")
    stale = sessions.open_session({"run_id": 1}, instance_id="c")
    get_redis().hset(keys.sessions("c"), stale, json.dumps({"run_id": 1, "expires": 0}))
    assert sessions.publish({"kind": "status", "run_id": 1, "task_id": 1}) == 0
    assert not sessions.any_sessions()
