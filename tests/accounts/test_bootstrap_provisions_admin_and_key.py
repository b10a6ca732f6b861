from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts_app.models import APIKey


def run_bootstrap():
    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_first_run_creates_the_admin_and_an_admin_key():
    output = run_bootstrap()
    password = output.split("password ")[1].split()[0]
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    clear = output.split("API key: ")[1].split()[0]
    assert APIKey.objects.get_from_key(clear).roles == ["Admin"]
    assert "/admin/" in output and "Ctrl-C" in output


@pytest.mark.django_db
def test_a_second_run_keeps_the_admin_and_revokes_the_previous_key():
    first = run_bootstrap().split("API key: ")[1].split()[0]
    second_output = run_bootstrap()
    assert "password from the first run" in second_output
    second = second_output.split("API key: ")[1].split()[0]
    assert APIKey.objects.get(prefix=first.split(".")[0]).revoked
    assert not APIKey.objects.get_from_key(second).revoked  # usable keys only
