"""The generic API test suite, NetBox style: a resource lists its endpoints (every action,
with the roles that may call it and the status they get), and ResourceSuite checks for each
one that it needs credentials (401), that every role not listed is refused (403) and that the
roles listed (and Admin) succeed. Each concrete class provides a `ctx` fixture: the objects
its endpoints act on, made afresh for each test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts_app.models import ROLES  # noqa: F401  re-exported for the suites' parametrisation


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict], str] | str
    roles: frozenset[str]
    status: int
    body: Callable[[dict], dict] | dict | None = None
    check: Callable[[dict, object], None] | None = field(default=None, compare=False)

    def url(self, ctx: dict) -> str:
        return self.path(ctx) if callable(self.path) else self.path

    def data(self, ctx: dict):
        return self.body(ctx) if callable(self.body) else self.body


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    error = response.json()["error"]
    assert error["status"] == status and isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code, error
    return error


def call(client, endpoint: Endpoint, ctx: dict):
    method = getattr(client, endpoint.method.lower())
    data = endpoint.data(ctx)
    return method(endpoint.url(ctx), data, format="json") if data is not None else method(endpoint.url(ctx))


class ResourceSuite:
    endpoints: tuple[Endpoint, ...] = ()

    def test_needs_credentials(self, anonymous_client, ctx, endpoint):
        assert_error(call(anonymous_client, endpoint, ctx), 401, "not_authenticated")

    def test_roles(self, key_client, ctx, endpoint, role):
        response = call(key_client(role), endpoint, ctx)
        if role == "Admin" or role in endpoint.roles:
            assert response.status_code == endpoint.status, (role, response.status_code, response.content[:500])
            if endpoint.check:
                endpoint.check(ctx, response)
        else:
            error = assert_error(response, 403, "permission_denied")
            assert role in error["message"] or "roles" in error["message"]
