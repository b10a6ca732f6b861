"""A message that keeps failing ends in the instance's DLQ with its reason and history after
dlq_max_deliveries; replay delivers it again."""

import time

from instances_app import deadletters, inbox, instance_commands, sweeper  # noqa: F401  registers handlers
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.support.redis import phase2_settings


def test_poison_goes_to_the_dlq_with_history_and_replays(redis_prefix, settings):
    phase2_settings(settings, dlq_min_idle_ms=100, dlq_max_deliveries=3)
    inbox.ensure_group("b")
    good = inbox.enqueue("b", "command", {"name": "stepdown", "args": {}})
    poison = inbox.enqueue("b", "command", {"name": "self-destruct"})
    assert inbox.read_and_handle("b", "b:1", block_ms=10) == 1  # the good one
    assert inbox.pending_count("b") == 1  # the poison stays pending, unacknowledged

    for _ in range(10):
        time.sleep(0.15)
        stats = sweeper.sweep_inbox("b")
        if stats["dead_lettered"]:
            break
    (letter,) = deadletters.list_letters("b")
    assert letter["source_id"] == poison and letter["deliveries"] == 3
    assert "unknown command 'self-destruct'" in letter["reason"]
    assert [h["consumer"] for h in letter["history"]] == ["b:1", "sweeper:" + settings.INSTANCE_ID,
                                                          "sweeper:" + settings.INSTANCE_ID]
    assert inbox.pending_count("b") == 0
    assert get_redis().xlen(keys.dlq("b")) == 1
    assert good != poison

    new_id = deadletters.replay("b", letter["id"])
    assert get_redis().xlen(keys.dlq("b")) == 0
    reply = get_redis().xreadgroup(settings.TP.scheduler.phase2.stream_group, "b:2", {keys.inbox("b"): ">"})
    assert reply[0][1][0][0] == new_id  # delivered again


def test_a_dead_instances_inbox_is_adopted(redis_prefix, settings):
    from instances_app import presence

    presence.announce("dead")
    inbox.ensure_group("dead")
    presence.withdraw("dead")  # its presence expired: the instance died
    inbox.enqueue("dead", "run_event", {"sessions": [], "event": {"run_id": 1}})
    stats = sweeper.sweep_inbox("dead")
    assert stats["adopted"] == 1
    assert inbox.pending_count("dead") == 0


def test_the_inbox_is_trimmed_at_stream_maxlen(redis_prefix, settings):
    phase2_settings(settings, stream_maxlen=100)
    for n in range(400):
        inbox.enqueue("c", "run_event", {"event": {"n": n}})
    assert get_redis().xlen(keys.inbox("c")) < 400  # MAXLEN ~: trimmed in whole nodes
