import json
import secrets

import pytest

from scheduler_project.api.permissions import SYSTEM_READ
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.api.resource_suite import Endpoint, ResourceSuite


class TestInstances(ResourceSuite):
    endpoints = (Endpoint("list", "GET", "/api/v1/instances/", SYSTEM_READ, 200),)

    @pytest.fixture
    def ctx(self, db):
        return {}


def test_lists_live_instances_from_their_presence_keys(admin_client, redis_prefix):
    redis, ids = get_redis(), [f"test-{secrets.token_hex(4)}" for _ in range(2)]
    # The record of ids[1] still says it leads (written before a handover): the lease decides.
    full = {"instance_id": ids[0], "roles": ["api", "control"], "leader": False, "started_at": "2026-01-01T00:00:00Z",
            "version": "0.1.0", "host": "node1", "pid": 42, "inbox_pending": 3, "at": "2026-01-01T00:01:00Z"}
    sparse = {"instance_id": ids[1], "roles": "api", "pid": "not a pid", "leader": True}  # an older or odd writer
    redis.set(keys.presence(ids[0]), json.dumps(full), ex=60)
    redis.set(keys.presence(ids[1]), json.dumps(sparse), ex=60)
    redis.set(keys.leader(), json.dumps({"instance_id": ids[0], "token": 7}), ex=60)
    found = {i["instance_id"]: i for i in admin_client.get("/api/v1/instances/").json()}
    assert found[ids[0]] == {**{k: v for k, v in full.items() if k != "at"}, "leader": True, "seen_at": full["at"]}
    assert found[ids[1]]["roles"] == ["api"] and found[ids[1]]["pid"] is None and found[ids[1]]["leader"] is False
