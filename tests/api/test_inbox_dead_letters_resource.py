"""/api/v1/deadletters/inbox/: inbox dead letters (Redis streams) browsed, replayed and purged over the API."""

import json

import pytest

from scheduler_project.api.permissions import TASK_READ, TASK_WRITE
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.api.resource_suite import Endpoint, ResourceSuite, assert_error

INSTANCE = "node-a-1"  # dashes on purpose: the id must still parse


def dead_letter(instance=INSTANCE, message_type="poison", reason="boom") -> str:
    history = [{"at": "2026-01-01T00:00:00Z", "error": reason, "consumer": "c1"}]
    fields = {"type": message_type, "body": json.dumps({"n": 1}), "source_id": "1-0", "instance_id": instance,
              "reason": reason, "deliveries": "3", "history": json.dumps(history), "moved_at": "2026-01-01T00:00:01Z"}
    return get_redis().xadd(keys.dlq(instance), fields)


def api_id(entry_id: str, instance=INSTANCE) -> str:
    return f"inbox-{instance}-{entry_id}"


def _listed(ctx, response):
    [letter] = [d for d in response.json() if d["instance_id"] == INSTANCE]
    assert letter["id"] == api_id(ctx["entry"]) and letter["source"] == "inbox" and letter["entry_id"] == ctx["entry"]
    assert letter["reason"] == "boom" and letter["deliveries"] == 3 and letter["history"][0]["error"] == "boom"


def _replayed(ctx, response):
    body = response.json()
    assert body["replayed"] == api_id(ctx["entry"]) and body["instance_id"] == INSTANCE
    [(entry_id, fields)] = get_redis().xrange(keys.inbox(INSTANCE))
    assert entry_id == body["inbox_entry_id"] and fields == {"type": "poison", "body": json.dumps({"n": 1})}
    assert get_redis().xlen(keys.dlq(INSTANCE)) == 0


class TestInboxDeadLetters(ResourceSuite):
    endpoints = (
        Endpoint("list", "GET", f"/api/v1/deadletters/inbox/?instance={INSTANCE}", TASK_READ, 200, check=_listed),
        Endpoint("retrieve", "GET", lambda c: f"/api/v1/deadletters/inbox/{api_id(c['entry'])}/", TASK_READ, 200,
                 check=lambda ctx, r: r.json()["body"] == json.dumps({"n": 1})),
        Endpoint("replay", "POST", lambda c: f"/api/v1/deadletters/inbox/{api_id(c['entry'])}/replay/", TASK_WRITE, 201,
                 check=_replayed),
        Endpoint("purge", "POST", "/api/v1/deadletters/inbox/purge/", frozenset(), 200, body={"instance": INSTANCE},
                 check=lambda ctx, r: r.json() == {"source": "inbox", "instance_id": INSTANCE, "deleted": 1}
                 and get_redis().xlen(keys.dlq(INSTANCE)) == 0),
    )

    @pytest.fixture
    def ctx(self, db, redis_prefix):
        return {"entry": dead_letter()}


def test_purge_of_chosen_ids_keeps_the_others(admin_client, redis_prefix):
    doomed, kept = dead_letter(), dead_letter(reason="other")
    response = admin_client.post("/api/v1/deadletters/inbox/purge/", {"instance": INSTANCE, "ids": [doomed]}, format="json")
    assert response.json()["deleted"] == 1
    assert [e for e, _ in get_redis().xrange(keys.dlq(INSTANCE))] == [kept]


def test_unknown_and_malformed_letters_are_not_found(admin_client, redis_prefix):
    assert_error(admin_client.get(f"/api/v1/deadletters/inbox/{api_id('1-1')}/"), 404)
    assert_error(admin_client.post(f"/api/v1/deadletters/inbox/{api_id('1-1')}/replay/", {}, format="json"), 404)
    assert_error(admin_client.get("/api/v1/deadletters/inbox/inbox-nodash/"), 404)
    # Stream ids are two unsigned 64-bit numbers: a larger one is no letter, not a Redis error (500).
    too_big = f"{2**64}-1"
    assert_error(admin_client.get(f"/api/v1/deadletters/inbox/{api_id(too_big)}/"), 404)
    assert_error(admin_client.post(f"/api/v1/deadletters/inbox/{api_id(too_big)}/replay/", {}, format="json"), 404)


def test_bad_input_names_the_field(admin_client, redis_prefix):
    error = assert_error(admin_client.get("/api/v1/deadletters/inbox/?count=0"), 400)
    assert "count" in error["fields"]
    error = assert_error(admin_client.post("/api/v1/deadletters/inbox/purge/", {"instance": INSTANCE, "ids": ["x"]},
                                           format="json"), 400)
    assert "ids.0" in error["fields"]
    assert "instance" in assert_error(admin_client.post("/api/v1/deadletters/inbox/purge/", {}, format="json"), 400)["fields"]
    too_big = {"instance": INSTANCE, "ids": [f"1-{2**64}"]}
    assert "ids.0" in assert_error(admin_client.post("/api/v1/deadletters/inbox/purge/", too_big, format="json"), 400)["fields"]
