"""Killing an instance with unacknowledged inbox messages: another instance processes them."""

import os
import signal

import pytest

from instances_app import inbox, presence
from tests.support.processes import wait_for
from tests.support.redis import inbox_consumers

pytestmark = pytest.mark.e2e


def test_messages_left_in_a_dead_instances_inbox_are_handled_by_a_live_one(platform):
    doomed = platform.start("control", instance="a")
    wait_for(lambda: presence.is_live("a"), 30, "instance a's presence")
    platform.start("control", instance="b")
    platform.start("dispatcher", instance="b")  # its sweeps adopt inboxes
    wait_for(lambda: presence.is_live("b"), 30, "instance b's presence")
    from scheduler_project.redis_store import keys
    from scheduler_project.redis_store.client import get_redis

    group = platform.config.settings.scheduler.phase2.stream_group
    [reader] = wait_for(lambda: inbox_consumers("a"), 30, "instance a's inbox reader")
    # Freeze a, then take entries as its reader would have just before dying between XREADGROUP
    # and XACK: delivered to a, never acknowledged. Then kill it, and send more that nobody reads.
    os.killpg(doomed.pid, signal.SIGSTOP)
    taken = [inbox.enqueue("a", "run_event", {"sessions": [], "event": {"run_id": n}}) for n in range(3)]
    get_redis().xreadgroup(group, reader["name"], {keys.inbox("a"): ">"}, count=10)
    os.killpg(doomed.pid, signal.SIGKILL)
    # (No check that all 3 are pending here: b's sweeper may claim them at once, as it should.)
    sent = taken + [inbox.enqueue("a", "run_event", {"sessions": [], "event": {"run_id": n}}) for n in range(3, 5)]

    ttl = platform.config.settings.scheduler.phase2.owner_ttl_seconds
    wait_for(lambda: not presence.is_live("a"), ttl + 5, "instance a's presence to expire")

    def all_delivered_and_acked():
        groups = {g["name"]: g for g in get_redis().xinfo_groups(keys.inbox("a"))}
        done = groups[group]["pending"] == 0 and groups[group]["last-delivered-id"] == sent[-1]
        return done and groups[group]

    state = wait_for(all_delivered_and_acked, 30, "the adopted inbox to be read and acknowledged")
    # Both are b's: the entries a had taken when it died are claimed by b's sweeper (XAUTOCLAIM),
    # those nobody had read are read by b as the inbox's adopter.
    consumers = {c["name"] for c in inbox_consumers("a")}
    assert {"sweeper:b", "adopter:b"} <= consumers  # claimed what a had taken; read what nobody had
    assert state["pending"] == 0
    assert state["last-delivered-id"] == sent[-1]  # every entry was delivered, and none is left pending
