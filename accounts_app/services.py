"""API keys and the roles of users: the one place that knows a key's clear text exists only once.

Keys come from four places (APIKey.Source): the API, the admin, `manage.py createapikey` /
`bootstrap`, and the configuration (`API_KEYS` / `[api.auth.api_keys]`), which
provision_config_keys() turns into rows at every api start and config reload:

- a configured key is stored hashed like any other (sha512 of the key, the library's hasher),
  under a lookup prefix derived from its hash, since "key1" has no "<prefix>." part;
- provisioning is idempotent: the same key at every start is one row; changed roles are
  updated in place;
- a key removed from the configuration is revoked (revoked_by = PROVISIONING) and kept for its
  history; put back, it is active again. A key an operator revoked (in the API or the admin)
  stays revoked whatever the configuration says: revocation of a leaked key must stick;
- every instance must carry the same API_KEYS: one that lacks a key revokes it for all.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_api_key.crypto import concatenate

from .models import ROLES, APIKey

log = logging.getLogger(__name__)

PROVISIONING = "config provisioning"
LAST_USED_RESOLUTION = timedelta(minutes=1)
SHORT_KEY_WARNING_LENGTH = 16


def create_api_key(
    name: str, roles: list[str], expiry_date=None, *, source: str = APIKey.Source.COMMAND, created_by: str = ""
) -> tuple[APIKey, str]:
    """Returns the stored key and its clear text, which is never stored nor logged."""
    return APIKey.objects.create_key(
        name=name, roles=list(roles), expiry_date=expiry_date, source=source, created_by=created_by
    )


def config_key_prefix(clear: str) -> str:
    """The lookup prefix of a configured key: 'c' + 7 hex digits of a hash of it. It reveals
    no more than the stored sha512 does, and never collides with a library prefix in practice."""
    return "c" + hashlib.sha256(b"taskplane-config-key:" + clear.encode()).hexdigest()[:7]


def find_key(clear: str) -> APIKey | None:
    """The key row for a clear key sent by a client, or None. One query: the library's
    "<prefix>.<secret>" prefix and a configured key's derived prefix are both tried."""
    if not clear or len(clear) > 512:
        return None
    candidates = {config_key_prefix(clear)}
    prefix, dot, _ = clear.partition(".")
    if dot and prefix:
        candidates.add(prefix)
    for key in APIKey.objects.filter(prefix__in=candidates):
        if key.is_valid(clear):
            return key
    return None


def touch(key: APIKey) -> None:
    """Record use, at most once a minute per key: a write per request would make every read
    a write, and concurrent processes race harmlessly on the conditional update."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    APIKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    key.last_used_at = now


def revoke(key: APIKey, by: str) -> APIKey:
    if not key.revoked:
        now = timezone.now()
        APIKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True, revoked_at=now, revoked_by=by)
        key.refresh_from_db()
    return key


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    kept_revoked: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.revoked or self.reactivated)

    def as_dict(self) -> dict:
        return {k: list(v) for k, v in self.__dict__.items()}


def _config_name(prefix: str) -> str:
    return f"config:{prefix}"


def provision_config_keys(keys: dict[str, list[str]]) -> ProvisionReport:
    """Make the configured keys (clear key -> roles) exactly the usable config-sourced rows.

    Safe to run concurrently (every gunicorn worker does at start): the prefix is unique, so
    a second insert of the same key fails and is skipped. Reports names, never keys."""
    report = ProvisionReport()
    wanted: dict[str, tuple[str, list[str]]] = {}
    for position, (clear, roles) in enumerate(keys.items(), start=1):
        prefix = config_key_prefix(clear)
        if len(clear) < SHORT_KEY_WARNING_LENGTH:
            log.warning(
                "API_KEYS entry %d (%s) is shorter than %d characters: use a long random string",
                position, _config_name(prefix), SHORT_KEY_WARNING_LENGTH,
            )
        wanted[prefix] = (clear, sorted(set(roles), key=ROLES.index))

    existing = {row.prefix: row for row in APIKey.objects.filter(prefix__in=list(wanted))}
    for prefix, (clear, roles) in wanted.items():
        row = existing.get(prefix)
        name = _config_name(prefix)
        if row is None:
            _create_config_key(prefix, clear, roles, report)
            continue
        if row.source != APIKey.Source.CONFIG or not row.is_valid(clear):
            log.error("API_KEYS: %s collides with another key's lookup prefix; not provisioned", name)
            continue
        if row.revoked:
            if row.revoked_by == PROVISIONING:
                APIKey.objects.filter(pk=row.pk).update(revoked=False, revoked_at=None, revoked_by="")
                report.reactivated.append(name)
            else:
                log.warning("API_KEYS: %s was revoked by %s and stays revoked; remove it from API_KEYS", name, row.revoked_by)
                report.kept_revoked.append(name)
        if row.roles != roles:
            APIKey.objects.filter(pk=row.pk).update(roles=roles)
            report.updated.append(name)

    for row in APIKey.objects.filter(source=APIKey.Source.CONFIG, revoked=False).exclude(prefix__in=list(wanted)):
        revoke(row, PROVISIONING)
        report.revoked.append(row.name)
    if report.changed:
        log.info("API_KEYS provisioned: %s", report.as_dict())
    return report


_provisioned = False
_next_try = 0.0
_provision_lock = threading.Lock()
PROVISION_RETRY_SECONDS = 10.0


def ensure_config_keys() -> bool:
    """Provision the configured keys once per api process (at start, wsgi); cheap no-op once done.
    If the database is not reachable (or migrated) yet, the next request that sends an API key
    tries again, at most every PROVISION_RETRY_SECONDS: a start before the database is up
    still provisions."""
    global _provisioned, _next_try
    if _provisioned or time.monotonic() < _next_try:
        return _provisioned
    with _provision_lock:
        if _provisioned:
            return True
        try:
            provision_config_keys(settings.TP.api.auth.api_keys)
        except Exception as exc:  # noqa: BLE001  the database may not be up (or migrated) yet
            _next_try = time.monotonic() + PROVISION_RETRY_SECONDS
            log.error("could not provision API_KEYS yet (retrying on use): %s", exc)
            return False
        _provisioned = True
        return True


def _create_config_key(prefix: str, clear: str, roles: list[str], report: ProvisionReport) -> None:
    hashed = APIKey.objects.key_generator.hash(clear)
    key = APIKey(
        id=concatenate(prefix, hashed), prefix=prefix, hashed_key=hashed, name=_config_name(prefix),
        roles=roles, source=APIKey.Source.CONFIG, created_by=PROVISIONING,
    )
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        return  # another process provisioned it a moment ago
    report.created.append(key.name)


def user_roles(user) -> frozenset[str]:
    """A superuser is Admin; a staff user has the roles of the groups named like them; any
    other user (who may hold a JWT) has none."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset({"Admin"})
    if not user.is_staff:
        return frozenset()
    return frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def provision_local_admin(username: str = "admin") -> str | None:
    """Create the admin user on first run; returns its generated password, or None if it exists."""
    from django.contrib.auth import get_user_model
    from django.utils.crypto import get_random_string

    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return None
    password = get_random_string(20)
    User.objects.create_superuser(username=username, email="", password=password)
    return password


def rotate_named_key(name: str, roles: list[str]) -> str:
    """Revoke the earlier keys of this name and create a fresh one; returns its clear text."""
    for key in APIKey.objects.filter(name=name, revoked=False):
        revoke(key, f"rotated by {name}")
    return create_api_key(name, roles, source=APIKey.Source.COMMAND, created_by="bootstrap")[1]
