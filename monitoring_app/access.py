"""Who may see the dashboard: a staff user's session (the admin login), or an API key with
the SystemRead or Admin role in X-API-Key (scripts, and /dashboard/data for tooling).

With [api.auth] enabled = false the REST API is open to everyone; the dashboard follows it.
"""

from __future__ import annotations

from enum import Enum

from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed

from accounts_app.authentication import APIKeyAuthentication

READ_ROLES = frozenset({"Admin", "SystemRead"})


class Access(Enum):
    GRANTED = "granted"
    LOGIN = "login"  # nobody authenticated: log in (HTML) or 401 (JSON)
    FORBIDDEN = "forbidden"  # authenticated without the right
    BAD_KEY = "bad_key"  # an invalid, revoked or expired key


def check(request) -> tuple[Access, str]:
    if request.META.get(settings.API_KEY_CUSTOM_HEADER) is not None:
        return _check_key(request)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.is_active and user.is_staff:
            return Access.GRANTED, ""
        return Access.FORBIDDEN, "the dashboard is for staff users"
    if not settings.TP.api.auth.enabled:
        return Access.GRANTED, ""
    return Access.LOGIN, "log in as a staff user, or send an API key with SystemRead in X-API-Key"


def _check_key(request) -> tuple[Access, str]:
    # The REST API's own key check (hash, prefix, revocation, expiry, provisioned API_KEYS).
    try:
        user, _ = APIKeyAuthentication().authenticate(request)
    except AuthenticationFailed as exc:
        return Access.BAD_KEY, str(exc.detail)
    if user.roles & READ_ROLES:
        return Access.GRANTED, ""
    return Access.FORBIDDEN, "this needs an API key with the SystemRead or Admin role"
