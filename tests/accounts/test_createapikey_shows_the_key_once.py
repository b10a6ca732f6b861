from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts_app.models import APIKey


@pytest.mark.django_db
def test_the_key_is_printed_once_and_stored_hashed():
    out = StringIO()
    call_command("createapikey", "--name", "ci", "--role", "TaskRead", "--role", "TaskWrite", stdout=out)
    clear = out.getvalue().strip().splitlines()[-1]
    key = APIKey.objects.get(name="ci")
    assert key.roles == ["TaskRead", "TaskWrite"]
    assert clear.startswith(key.prefix + ".")
    assert clear not in key.hashed_key and clear.split(".")[1] not in key.hashed_key
    assert APIKey.objects.get_from_key(clear) == key


@pytest.mark.django_db
def test_an_unknown_role_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'Root'"):
        call_command("createapikey", "--name", "x", "--role", "Root")


@pytest.mark.django_db
def test_the_model_refuses_bad_roles():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="roles"):
        APIKey.objects.create_key(name="bad", roles=["Root"])
