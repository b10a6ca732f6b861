import time

from django.core.management import call_command

from instances_app import deadletters, inbox, presence, sweeper
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tests.support.redis import phase2_settings


def make_letter(settings) -> dict:
    phase2_settings(settings, dlq_min_idle_ms=100, dlq_max_deliveries=1)
    presence.announce("x")
    inbox.ensure_group("x")
    inbox.enqueue("x", "command", {"name": "nope"})
    inbox.read_and_handle("x", "x:1", block_ms=10)
    for _ in range(20):
        time.sleep(0.12)
        if sweeper.sweep_inbox("x")["dead_lettered"]:
            break
    (letter,) = deadletters.list_letters("x")
    return letter


def test_the_admin_lists_replays_and_purges(admin_client, redis_prefix, settings):
    letter = make_letter(settings)
    page = admin_client.get("/admin/instances_app/deadletter/").content.decode()
    assert letter["id"] in page and "unknown command" in page
    admin_client.post("/admin/instances_app/deadletter/", {"action": "replay", "instance": "x", "entry": letter["id"]})
    assert deadletters.depth("x") == 0 and get_redis().xlen(keys.inbox("x")) == 1


def test_the_cli_lists_shows_and_purges(db, redis_prefix, settings, capsys):
    letter = make_letter(settings)
    call_command("dlq", "list", "--instance", "x")
    call_command("dlq", "show", letter["id"], "--instance", "x")
    call_command("dlq", "purge", "--instance", "x")
    out = capsys.readouterr().out
    assert letter["id"] in out and '"deliveries": 1' in out and "purged 1 dead letter(s) of x" in out
    assert deadletters.depth("x") == 0
