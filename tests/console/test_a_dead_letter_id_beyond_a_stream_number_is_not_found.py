"""An inbox dead-letter id whose stream number is 2^64 or more names no letter: a 404 (API) or
a refusal (console), never Redis's "Invalid stream ID" as a 500. The check is in the service, so
every caller has it."""

import pytest

from instances_app import deadletters

TOO_BIG = [f"{2**64}-1", f"1-{2**64}", f"{10**19 * 9}-0"]


@pytest.mark.parametrize("entry", TOO_BIG)
def test_the_service_says_unknown_letter(redis_prefix, entry):
    with pytest.raises(deadletters.UnknownDeadLetter):
        deadletters.get("node-a", entry)
    with pytest.raises(deadletters.UnknownDeadLetter):
        deadletters.replay("node-a", entry)


def test_the_console_replay_does_not_fail(signed_in, redis_prefix):
    client = signed_in(superuser=True)
    response = client.post(f"/ui/deadletters/inbox-node-a-{2**64}-1/replay/")
    assert response.status_code in (302, 404), response.status_code
