"""Fixtures of the console tests: signed-in staff users holding given roles (groups named like
the roles), and a small world of tasks, runs, workers and dead letters to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.console.world import build_world


@pytest.fixture
def signed_in(db):
    """signed_in("TaskRead", ...) -> a Client signed in as a staff user with these roles;
    signed_in(superuser=True) -> an Admin."""

    def make(*roles: str, superuser: bool = False, name: str | None = None) -> Client:
        name = name or ("admin" if superuser else "-".join(roles).lower() or "staff")
        user = User.objects.create_user(name, is_staff=True, is_superuser=superuser)  # no password: force_login
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        client = Client()
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def world(db, redis_prefix):
    return build_world()
