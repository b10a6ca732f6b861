"""Bad input is a CommandError that names the option and the value."""

import pytest
from django.core.management.base import CommandError

from tests.maintenance.helpers import run_command


@pytest.mark.parametrize("value, message", [
    ("30", "--older-than: '30' is not a duration: use a number and a unit, e.g. 30d"),
    ("thirty days", "--older-than: 'thirty days' is not a duration"),
    ("0d", "--older-than: '0d' must be more than zero"),
    ("-5d", "--older-than: '-5d' is not a duration"),
])
def test_bad_durations(db, value, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run_command("cleanup", f"--older-than={value}")


@pytest.mark.parametrize("args, message", [
    (["--keep-failed-days", "-1"], "--keep-failed-days: -1 must be 0 or more"),
    (["--batch-size", "0"], "--batch-size: 0 must be at least 1"),
    (["--pause", "-1"], "--pause: -1.0 must be 0 or more"),
])
def test_bad_numbers(db, args, message):
    with pytest.raises(CommandError, match=message):
        run_command("cleanup", "--older-than", "30d", *args)
