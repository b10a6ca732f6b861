"""`instances reload-config` without an instance: the command goes into the inbox of every live
instance, and each instance's reader applies it (its config generation moves on, which its api
processes follow)."""

import pytest
from django.core.management import call_command

from instances_app import inbox, presence
from scheduler_project.redis_store.client import get_redis, key

pytestmark = pytest.mark.django_db


def test_reload_fans_out_to_every_live_instance(redis_prefix, settings):
    for instance_id in ("east", "west"):
        presence.announce(instance_id)
        inbox.ensure_group(instance_id)
    call_command("instances", "reload-config")

    for instance_id in ("east", "west"):
        settings.INSTANCE_ID = instance_id  # the reader runs in that instance's control process
        assert get_redis().get(key("config", "generation", instance_id)) is None
        assert inbox.read_and_handle(instance_id, "control-1", block_ms=1000) == 1
        assert get_redis().get(key("config", "generation", instance_id)) == "1"
        assert inbox.pending_count(instance_id) == 0


def test_a_dead_instance_gets_nothing(redis_prefix):
    from instances_app import instance_commands as commands

    presence.announce("alive")
    presence.announce("gone")
    presence.withdraw("gone")
    assert commands.send("reload_config") == ["alive"]
