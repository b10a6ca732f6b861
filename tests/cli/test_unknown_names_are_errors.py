"""A name that does not exist (task, run, worker, instance, dead letter) is an error naming it,
never an empty answer: `dlq list --instance nope` once said "no dead letters"."""

import pytest
from django.core.management import CommandError, call_command

from instances_app import presence
from tests.api.resource_suite import assert_error


@pytest.mark.parametrize("argv, message", [
    (["tasks", "show", "nope"], "unknown task 'nope'"),
    (["tasks", "trigger", "nope"], "unknown task 'nope'"),
    (["tasks", "pause", "42"], "unknown task '42'"),
    (["runs", "list", "--task", "nope"], "unknown task 'nope'"),
    (["runs", "list", "--worker", "nope"], "unknown worker 'nope'"),
    (["runs", "show", "999999"], "unknown run 999999"),
    (["runs", "logs", "999999", "--follow"], "unknown run 999999"),
    (["runs", "cancel", "999999"], "unknown run 999999"),
    (["runs", "replay", "999999"], "unknown run 999999"),
    (["workers", "drain", "nope"], "'nope' is not registered"),
    (["workers", "show", "nope"], "'nope' is not registered"),
    (["dlq", "list", "--instance", "nope"], "unknown instance 'nope'"),
    (["deadletters", "purge", "--instance", "nope"], "unknown instance 'nope'"),
    (["deadletters", "list", "--task", "nope"], "unknown task 'nope'"),
    (["deadletters", "show", "run-999999"], "no dead letter run-999999"),
    (["deadletters", "replay", "inbox-nope-1-1"], "no dead letter 1-1"),
    (["instances", "stepdown", "nope"], "unknown instance 'nope'"),
    (["instances", "reload-config", "nope"], "unknown instance 'nope'"),
])
def test_unknown_names_are_errors(db, redis_prefix, argv, message):
    with pytest.raises(CommandError, match=message):
        call_command(*argv)


def test_a_known_instance_with_no_letters_is_an_empty_answer(db, redis_prefix, capsys):
    presence.announce("alive")
    call_command("dlq", "list", "--instance", "alive")
    assert capsys.readouterr().out.strip() == "no dead letters"


def test_the_api_answers_an_unknown_instance_with_404(admin_client, redis_prefix):
    error = assert_error(admin_client.get("/api/v1/deadletters/inbox/?instance=nope"), 404)
    assert "unknown instance 'nope'" in error["message"]
    assert_error(admin_client.post("/api/v1/deadletters/inbox/purge/", {"instance": "nope"},
                                   content_type="application/json"), 404)


def test_the_admin_names_an_unknown_instance(admin_client, redis_prefix):
    page = admin_client.get("/admin/instances_app/deadletter/?instance=nope", follow=True)
    assert page.status_code == 200 and "unknown instance" in page.content.decode().lower()
