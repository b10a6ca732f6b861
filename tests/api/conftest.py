"""Fixtures for the API tests: clients holding a key with given roles, objects to act on, and
the generic per-resource suite's parametrisation (resource_suite.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts_app import services as accounts
from accounts_app.models import APIKey
from accounts_app.services import create_api_key
from tests.api.resource_suite import ROLES
from tests.support.live_config import reset_live_config


@pytest.fixture(autouse=True)
def _start_up_state():
    """Each test starts from the start-up configuration (reload-config tests change it)."""
    reset_live_config()
    accounts._provisioned = True  # unit tests provision explicitly
    yield
    reset_live_config()


@pytest.fixture
def key_client(db):
    """key_client("TaskRead", ...) -> an APIClient sending a fresh key with these roles."""

    def make(*roles: str, name: str | None = None) -> APIClient:
        key, clear = create_api_key(name or "test-" + "-".join(roles), list(roles), source=APIKey.Source.API)
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=clear)
        client.clear_key, client.api_key = clear, key
        return client

    return make


@pytest.fixture
def admin_client(key_client) -> APIClient:
    return key_client("Admin")


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


def pytest_generate_tests(metafunc):
    """A resource suite's tests run once per endpoint (and per role where they take one)."""
    endpoints = getattr(metafunc.cls, "endpoints", None)
    if not endpoints or "endpoint" not in metafunc.fixturenames:
        return
    if "role" in metafunc.fixturenames:
        cases = [(e, r) for e in endpoints for r in ROLES]
        metafunc.parametrize(("endpoint", "role"), cases, ids=[f"{e.name}-{r}" for e, r in cases])
    else:
        metafunc.parametrize("endpoint", endpoints, ids=[e.name for e in endpoints])
