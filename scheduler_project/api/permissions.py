"""Roles, enforced on every endpoint and action.

Each view declares `required_roles`: {action: roles}, where the action is the viewset action
("list", "create", "trigger", ...) or, for plain API views, the lower-case HTTP method. A
principal passes if it has any of the roles (Admin passes everything). An action missing from
the map is refused (fail closed): tests/api/test_every_action_declares_roles.py checks that
none is missing. With [api.auth] enabled = false everything passes.
"""

from __future__ import annotations

import logging

from rest_framework.permissions import BasePermission

from scheduler_project.api.principal import auth_enabled, principal_of

log = logging.getLogger(__name__)

ADMIN = frozenset({"Admin"})
TASK_READ = frozenset({"TaskRead", "TaskWrite"})  # a writer reads what it writes
TASK_WRITE = frozenset({"TaskWrite"})
WORKER_READ = frozenset({"WorkerRead", "WorkerWrite"})
WORKER_WRITE = frozenset({"WorkerWrite"})
SYSTEM_READ = frozenset({"SystemRead"})
AUTHENTICATED = frozenset()  # any authenticated caller, whatever its roles


def view_action(request, view) -> str:
    return getattr(view, "action", None) or request.method.lower()


def roles_for(view, action: str):
    required = getattr(view, "required_roles", None) or {}
    if action == "metadata" and "metadata" not in required:  # OPTIONS: whoever may list
        action = "list" if "list" in required else "get"
    return required.get(action)


def _no_handler(request, view) -> bool:
    if hasattr(view, "action_map"):
        return getattr(view, "action", None) is None
    return not hasattr(view, request.method.lower())


class RolePermission(BasePermission):
    message = "your roles do not allow this"

    def has_permission(self, request, view):
        if not auth_enabled():
            return True
        principal = principal_of(request)
        if not principal.authenticated:
            return False  # DRF answers 401 (not authenticated) for this
        if _no_handler(request, view):
            return True  # not an action at all: DRF answers 405
        action = view_action(request, view)
        required = roles_for(view, action)
        if required is None:
            log.error("%s declares no roles for action %r: refused", type(view).__name__, action)
            return False
        if required == AUTHENTICATED or principal.has_any(required):
            return True
        self.message = f"this needs one of the roles {', '.join(sorted(required | ADMIN))}; you have " + (
            ", ".join(sorted(principal.roles)) or "none"
        )
        return False
