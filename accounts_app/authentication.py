"""API keys in X-API-Key. settings.REST_FRAMEWORK lists it first (so a 401 names it), then
simplejwt's JWTAuthentication (`Authorization: Bearer`) and DRF's SessionAuthentication (the
admin's session, CSRF-checked)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts_app import services as keys


class APIKeyUser:
    """request.user for a key: authenticated, with the key's roles, no Django user behind it."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key):
        self.api_key = api_key
        self.roles = frozenset(api_key.roles)
        self.username = f"key:{api_key.name}"

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username


class APIKeyAuthentication(BaseAuthentication):
    """`X-API-Key: <key>`. The key is looked up by prefix and checked against its hash; it is
    never logged. Returns (APIKeyUser, APIKey)."""

    def authenticate(self, request):
        clear = request.META.get(settings.API_KEY_CUSTOM_HEADER)
        if clear is None:
            return None
        keys.ensure_config_keys()  # a start-up that could not reach the database retries here
        api_key = keys.find_key(clear.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("invalid API key", code="invalid_api_key")
        if api_key.revoked:
            raise exceptions.AuthenticationFailed("this API key has been revoked", code="revoked_api_key")
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("this API key has expired", code="expired_api_key")
        keys.touch(api_key)
        return APIKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return 'X-API-Key, Bearer realm="taskplane"'
