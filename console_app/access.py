"""Who may see and do what in the console: the REST API's roles, for the signed-in staff user.

A superuser is Admin; a staff user has the roles of the groups named like them (accounts_app,
through scheduler_project.hooks.user_roles, as the API's session authentication does). Pages
need a Read role, actions the Write role the API asks for the same action; shell-task edits
need Admin. A user who is not staff is refused; nobody signed in goes to /ui/login/. With
[api.auth] enabled = false the API is open and the console follows it (development only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse

from scheduler_project import hooks
from scheduler_project.api.permissions import ADMIN, SYSTEM_READ, TASK_READ, TASK_WRITE, WORKER_READ, WORKER_WRITE
from scheduler_project.api.principal import Principal, auth_enabled, principal_of

__all__ = ["ADMIN", "SYSTEM_READ", "TASK_READ", "TASK_WRITE", "WORKER_READ", "WORKER_WRITE", "Viewer", "console_view"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the console sees it; templates ask it what to show."""

    principal: Principal

    @property
    def name(self) -> str:
        return self.principal.name

    def has(self, roles) -> bool:
        return not auth_enabled() or self.principal.has_any(roles)

    @property
    def reads_tasks(self) -> bool:
        return self.has(TASK_READ)

    @property
    def writes_tasks(self) -> bool:
        return self.has(TASK_WRITE)

    @property
    def reads_workers(self) -> bool:
        return self.has(WORKER_READ)

    @property
    def writes_workers(self) -> bool:
        return self.has(WORKER_WRITE)

    @property
    def is_admin(self) -> bool:
        return self.has(ADMIN)

    def edits(self, task_type: str) -> bool:
        """Shell tasks run commands on the nodes: changing one needs Admin (as in the API)."""
        return self.is_admin if task_type == "shell" else self.writes_tasks

    @property
    def roles_text(self) -> str:
        return ", ".join(sorted(self.principal.roles)) or "no role"


def refused(request, message: str, status: int = 403):
    return render(request, "console/refused.html", {"message": message}, status=status)


def record_refusal(request, action: str, object_id: str, message: str, status: int) -> None:
    hooks.audit_record(principal=request.viewer.name, action=action, source="console",
                       object_type=action.split(".")[0], object_id=object_id, after={"error": message},
                       status_code=status, request=request)


def viewer_of(request) -> Viewer | None:
    """None: nobody signed in (with auth enabled)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Viewer(principal_of(request))
    if not auth_enabled():
        return Viewer(principal_of(request))
    return None


def console_view(roles=None, write=None, action: str = ""):
    """A console page: signed in as staff, holding `roles` (any of them; None: any staff user);
    a POST also needs `write`, and a POST refused for it is audited as `action` ("task.trigger"),
    as the API records its refusals. The viewer is request.viewer."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            viewer = viewer_of(request)
            if viewer is None:
                return redirect_to_login(request.get_full_path(), login_url=reverse("console:login"))
            user = request.user
            if user.is_authenticated and not (user.is_active and user.is_staff):
                return refused(request, "The console is for staff users.")
            request.viewer = viewer
            needed = [r for r in (roles, write if request.method == "POST" else None) if r is not None]
            missing = next((r for r in needed if not viewer.has(r)), None)
            if missing is not None:
                what = "This action" if request.method == "POST" else "This page"
                message = (f"{what} needs one of the roles {', '.join(sorted(set(missing) | ADMIN))}; "
                           f"you have {viewer.roles_text}.")
                if request.method == "POST":
                    record_refusal(request, action or f"console.{view.__name__}", "".join(map(str, kwargs.values())),
                                   message, 403)
                return refused(request, message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
