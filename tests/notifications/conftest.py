"""API clients for the notification tests (the same as tests/api's)."""

import pytest
from rest_framework.test import APIClient

from accounts_app import services as accounts
from accounts_app.models import APIKey
from accounts_app.services import create_api_key


@pytest.fixture
def key_client(db):
    accounts._provisioned = True

    def make(*roles: str) -> APIClient:
        key, clear = create_api_key("test-" + "-".join(roles), list(roles), source=APIKey.Source.API)
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=clear)
        return client

    return make
