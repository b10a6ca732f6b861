"""`deadletters` (and its former name `dlq`) against a live platform: dead runs (a task whose
retries ran out for real) and inbox dead letters listed together, newest first, with the API's
ids; a dead run replayed as a new run with an edited parameter, an inbox letter replayed into
its inbox (also by the former `dlq replay ENTRY --instance ID` form); purges that delete what
they name and refuse to guess when nothing is named."""

import json

import pytest
from django.utils import timezone

from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from tasks_app.models import Run, Task
from tasks_app.services import definitions
from tests.support.cli import json_of, manage, ok
from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e


def inbox_letter(instance: str, name: str) -> str:
    fields = {"type": "command", "body": json.dumps({"name": name, "args": {}}), "source_id": "1-0",
              "reason": "handler failed", "deliveries": "3", "moved_at": timezone.now().isoformat(),
              "history": json.dumps([{"at": timezone.now().isoformat(), "error": "handler failed"}])}
    return get_redis().xadd(keys.dlq(instance), fields)


def test_dead_runs_and_inbox_letters_through_one_command(platform):
    for mode in ("control", "dispatcher"):
        platform.start(mode)
    platform.start("worker", "--worker-id", "dl-node")
    instance = platform.config.instance_id
    task = Task.objects.create(name="flaky", type="shell", spec={"command": 'echo "n=$TP_PARAM_N"; test "$TP_PARAM_N" = ok'},
                               params={"n": "bad"}, max_retries=1, retry_delay_seconds=0.2, retry_jitter=False)
    dead = platform.wait_run(definitions.trigger(task).pk, "dead", timeout=90)
    wait_for(lambda: get_redis().exists(keys.presence(instance)), 30, "the instance's presence")
    entry = inbox_letter(instance, "reload_config")

    listed = json_of(manage(platform, "deadletters", "list", "--json"))
    assert {d["id"] for d in listed} == {f"run-{dead.pk}", f"inbox-{instance}-{entry}"}
    assert listed[0]["source"] == "inbox", "newest first: the letter was made after the run died"
    table = ok(manage(platform, "dlq", "list"))
    assert f"run-{dead.pk}" in table and "flaky" in table and f"inbox-{instance}-{entry}" in table
    assert [d["id"] for d in json_of(manage(platform, "deadletters", "list", "--source", "run", "--json"))] == [f"run-{dead.pk}"]
    assert [d["id"] for d in json_of(manage(platform, "deadletters", "list", "--task", "flaky", "--json"))] == [f"run-{dead.pk}"]
    shown = json_of(manage(platform, "deadletters", "show", entry, "--instance", instance))
    assert shown["reason"] == "handler failed" and shown["deliveries"] == 3

    # A dead run replays as a new run, with an edited parameter: it succeeds this time.
    replayed = ok(manage(platform, "deadletters", "replay", f"run-{dead.pk}", "--param", "n=ok"))
    new = Run.objects.get(replay_of=dead)
    assert f"replayed run-{dead.pk} as run {new.pk}" in replayed and new.params == {"n": "ok"}
    assert platform.wait_run(new.pk, "succeeded", timeout=60).stdout == "n=ok\n"
    refused = manage(platform, "deadletters", "replay", entry, "--instance", instance, "--param", "n=1")
    assert refused.returncode == 1 and "without parameters" in refused.stderr

    # An inbox letter goes back into its inbox (the former dlq form), and leaves the DLQ.
    assert f"into the inbox of {instance}" in ok(manage(platform, "dlq", "replay", entry, "--instance", instance))
    assert get_redis().xlen(keys.dlq(instance)) == 0
    assert any(f.get("body") == json.dumps({"name": "reload_config", "args": {}})
               for _, f in get_redis().xrange(keys.inbox(instance)))

    # Purges: nothing named is refused; named letters go; --all takes both kinds.
    refused = manage(platform, "deadletters", "purge")
    assert refused.returncode == 1 and "say what to purge" in refused.stderr
    second = inbox_letter(instance, "reload_config")
    assert ok(manage(platform, "deadletters", "purge", f"run-{dead.pk}")).strip() == "purged 1 dead run(s)"
    assert not Run.objects.filter(pk=dead.pk).exists() and Run.objects.filter(pk=new.pk).exists()
    inbox_letter(instance, "reload_config")
    purged = ok(manage(platform, "deadletters", "purge", f"inbox-{instance}-{second}"))
    assert purged.strip() == f"purged 1 dead letter(s) of {instance}" and get_redis().xlen(keys.dlq(instance)) == 1
    assert f"1 dead letter(s) of {instance}" in ok(manage(platform, "dlq", "purge", "--all"))
    assert json_of(manage(platform, "deadletters", "list", "--json")) == []
