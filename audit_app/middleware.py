"""The admin's side of the audit log.

Django's admin writes a LogEntry for add, change and delete (audit_app.signals turns each into
an AuditEntry), but it knows nothing of the state before a change, and admin actions (trigger,
pause, cancel, drain, delete_selected with several rows ...) write no LogEntry at all, or a
bulk one that sends no signal. This middleware, on admin POSTs only:

- snapshots the object a change or delete view is about to modify, for the LogEntry's `before`;
- records each admin action itself: every selected object before and after, one entry each.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

from django.contrib.admin.utils import unquote
from django.urls import Resolver404, resolve

from audit_app import services

MAX_ACTION_OBJECTS = 200


@dataclass
class AdminContext:
    request: object
    before: dict = field(default_factory=dict)  # (object_type, pk) -> snapshot
    in_action: bool = False


current: contextvars.ContextVar[AdminContext | None] = contextvars.ContextVar("audit_admin", default=None)


def _model_admin(request):
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None, None
    return getattr(match.func, "model_admin", None), match


def _load(model, pk):
    try:
        return model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        return None


class AdminAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST":
            return self.get_response(request)
        model_admin, match = _model_admin(request)
        if model_admin is None:
            return self.get_response(request)
        model, url_name = model_admin.model, match.url_name or ""
        context = AdminContext(request)
        if url_name.endswith(("_change", "_delete")) and "object_id" in match.kwargs:
            obj = _load(model, unquote(match.kwargs["object_id"]))
            if obj is not None:
                context.before[(services.object_type(obj), str(obj.pk))] = services.snapshot(obj)
        action = request.POST.get("action", "") if url_name.endswith("_changelist") else ""
        selected = []
        if action and request.POST.get("index") is not None:
            context.in_action = True
            ids = request.POST.getlist("_selected_action")[:MAX_ACTION_OBJECTS]
            selected = [(pk, services.snapshot(obj), services.object_id(obj), str(obj))
                        for pk in ids if (obj := _load(model, pk)) is not None]
        token = current.set(context)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        confirmation_page = action == "delete_selected" and request.POST.get("post") != "yes"
        if context.in_action and response.status_code < 400 and not confirmation_page:
            self._record_action(request, model, action, selected)
        return response

    @staticmethod
    def _record_action(request, model, action, selected):
        principal = f"user:{request.user.get_username()}"
        kind = services.object_type(model)
        if request.POST.get("select_across") == "1":
            services.record(principal=principal, action=f"admin.action.{action}", source="admin", object_type=kind,
                            object_id="*", request=request, after={"select_across": True})
        for pk, before, public_id, text in selected:
            after = services.snapshot(_load(model, pk))
            services.record(principal=principal, action=f"admin.action.{action}", source="admin", object_type=kind,
                            object_id=public_id, object_repr=text, before=before, after=after, request=request)
