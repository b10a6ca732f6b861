"""Roles are enforced on every endpoint and action: each API view declares the roles of each of
its actions, so none falls through to a default."""

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import AllowAny

from scheduler_project.api.permissions import RolePermission


def _api_views(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            yield route, pattern.callback


def test_every_api_action_has_roles_or_is_deliberately_public():
    missing, public = [], []
    for route, callback in _api_views():
        cls = getattr(callback, "cls", None)
        if cls is None:
            continue
        if any(issubclass(p, AllowAny) for p in cls.permission_classes):
            public.append(route)
            continue
        assert RolePermission in cls.permission_classes, route
        actions = getattr(callback, "actions", None) or {m: m for m in ("get", "post", "put", "patch", "delete")
                                                          if hasattr(cls, m)}
        declared = getattr(cls, "required_roles", {})
        missing += [f"{route} {action}" for action in actions.values() if action not in declared]
    assert not missing
    assert sorted(public) == ["api/v1/auth/token/", "api/v1/auth/token/refresh/", "api/v1/docs/", "api/v1/schema/"]
