"""What the infrastructure calls but an app provides: the seams that keep the layers pointing down.

`scheduler_project` imports no app. Where the shared API base or the configuration reload
needs something only an app knows (a user's roles, writing the audit log, provisioning the
configured API keys), it calls a Hook here, and the app provides the implementation in its
AppConfig.ready(). A hook nobody provided runs its default: a process without that app (the
worker role installs few apps) gets a harmless answer instead of an ImportError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    def __init__(self, name: str, default: Callable[..., Any]):
        self.name = name
        self.default = default
        self.implementation: Callable[..., Any] | None = None

    def provide(self, implementation: Callable[..., Any]) -> Callable[..., Any]:
        """Install the implementation (usable as a decorator); the last one provided wins."""
        self.implementation = implementation
        return implementation

    @property
    def provided(self) -> bool:
        return self.implementation is not None

    def __call__(self, *args, **kwargs):
        return (self.implementation or self.default)(*args, **kwargs)

    def __repr__(self) -> str:
        target = self.implementation or self.default
        return f"<Hook {self.name}: {getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}>"


# accounts_app: the roles of a signed-in Django user (API keys carry their own).
user_roles = Hook("user_roles", lambda user: frozenset())
# accounts_app: make the configured API keys (API_KEYS / [api.auth.api_keys]) rows; returns a
# report {created, updated, revoked, reactivated, kept_revoked} of key names, never keys.
provision_config_keys = Hook("provision_config_keys", lambda keys: {})
# accounts_app: provision them once per process, retrying later if the database is not up yet.
ensure_config_keys = Hook("ensure_config_keys", lambda: False)
# audit_app: the redacted state of a row before a request changes it, and writing one entry.
audit_snapshot = Hook("audit_snapshot", lambda obj: None)
audit_record = Hook("audit_record", lambda **entry: None)
# ... and one entry for a request refused without valid credentials (401), rate-limited per
# client address so that a flood cannot fill the table.
audit_record_unauthenticated = Hook("audit_record_unauthenticated", lambda **entry: None)
# instances_app: whether a control role of any instance is alive now (its presence lists it):
# `serve --mode dispatcher` warns without one, since beat's fires are runs only once a control
# role takes them. None: cannot tell (no instances_app, or Redis unreachable).
control_role_seen = Hook("control_role_seen", lambda: None)
