"""Who is calling: one Principal per request, whatever authenticated it.

Its `name` is what the engine records as `by=` and what the audit log shows:
`key:<key name>`, `user:<username>`, or `anonymous` (only reachable with auth disabled).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from scheduler_project import hooks

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str]
    kind: str  # "key" | "user" | "anonymous"
    throttle_ident: str  # the rate limiter's bucket: per key, per user, or per address

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    def has_any(self, roles) -> bool:
        """Admin passes everything; otherwise any one of `roles`."""
        return "Admin" in self.roles or bool(self.roles & frozenset(roles))


def auth_enabled() -> bool:
    return settings.TP.api.auth.enabled


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """Who is calling, for rate-limit buckets and the audit log. X-Forwarded-For is whatever the
    client says unless a proxy we trust ([api.security] trusted_proxies) wrote it, so it counts
    only when REMOTE_ADDR is such a proxy, and then from the right: the last address that is
    not one of our proxies is the one our first proxy saw (addresses left of it are the
    client's own claims)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    networks = _networks(tuple(settings.TP.api.security.trusted_proxies))
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:64]
    return remote


def principal_of(request) -> Principal:
    """The request's principal, computed once (roles of users need a query)."""
    cached = getattr(request, "_taskplane_principal", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    key_user = getattr(user, "api_key", None)
    if key_user is not None:
        principal = Principal(f"key:{user.api_key.name}", frozenset(user.roles), "key", f"key:{user.api_key.prefix}")
    elif user is not None and user.is_authenticated:
        principal = Principal(f"user:{user.get_username()}", hooks.user_roles(user), "user", f"user:{user.pk}")
    else:
        roles = frozenset() if auth_enabled() else frozenset({"Admin"})
        principal = Principal(ANONYMOUS, roles, "anonymous", f"ip:{client_address(request)}")
    request._taskplane_principal = principal
    return principal
