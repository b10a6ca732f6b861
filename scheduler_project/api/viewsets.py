"""The base every API view and viewset builds on.

What a subclass declares: `queryset`, `serializer_class`, `required_roles` ({action: roles},
see permissions.py) and `audit_type` (the resource's name in the audit log). What it gets:

- checks in this order: authenticate, rate-limit, authorise. (DRF authorises first; throttling
  first means refused and unauthenticated requests are rate-limited too.)
- every mutating request (create, update, destroy, every POST action) runs in one transaction
  with its audit entry: a change is never committed without its record. A refused one
  (status >= 400) is rolled back and then recorded on its own, with what it answered.
- `self.principal`: who is calling, for `by=` and the audit log.
- `self.action_body(Serializer)`: a POST action's body, validated (a 400 naming the field).
"""

from __future__ import annotations

import logging

from django.db import transaction
from rest_framework import exceptions, mixins, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.views import APIView

from scheduler_project import hooks
from scheduler_project.api.principal import Principal, principal_of

log = logging.getLogger(__name__)


class TaskplaneViewMixin:
    required_roles: dict = {}
    audit_type: str = ""
    audited: bool = True
    _audit_before = None

    @property
    def principal(self) -> Principal:
        return principal_of(self.request)

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        try:
            self.perform_authentication(request)
        except exceptions.APIException:
            self.check_throttles(request)  # bad credentials count against the caller's address
            raise
        self.check_throttles(request)
        self.check_permissions(request)
        if request.method not in SAFE_METHODS and self.audited:
            self._audit_before = self.audit_snapshot_before()

    def action_body(self, serializer_class) -> dict:
        """The validated body of a POST action. No body, or JSON null, is validated as {}: the
        actions' fields are all optional, and a missing one must not read as a malformed body."""
        body = serializer_class(data=self.request.data if self.request.data is not None else {})
        body.is_valid(raise_exception=True)
        return body.validated_data

    def get_object(self):
        # A detail mutation asks twice, for the audit snapshot and in the action: one query.
        found = getattr(self, "_taskplane_object", None)
        if found is None:
            found = self._taskplane_object = self.find_object()
        return found

    def find_object(self):
        """The lookup itself, uncached: override this (not get_object) for a lookup of your own."""
        return super().get_object()

    # --- audit

    def audit_snapshot_before(self):
        """The target's state before a detail request changes it (None for collection requests)."""
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        if not lookup or lookup not in self.kwargs or not hasattr(self, "get_object"):
            return None
        try:
            return hooks.audit_snapshot(self.get_object())
        except Exception:  # noqa: BLE001  a 404 or a refusal: the action itself will say so
            return None

    def audit_object_id(self, response) -> str:
        lookup = getattr(self, "lookup_url_kwarg", None) or getattr(self, "lookup_field", None)
        if lookup and lookup in self.kwargs:
            return str(self.kwargs[lookup])
        data = getattr(response, "data", None)
        if isinstance(data, dict) and response.status_code < 400:
            return str(data.get(getattr(self, "lookup_field", "id"), data.get("id", "")))
        return ""

    def audit_action(self) -> str:
        action = getattr(self, "action", None) or self.request.method.lower()
        return f"{self.audit_type or type(self).__name__}.{action}"

    def _write_audit(self, request, response):
        principal = principal_of(request)
        # Never authenticated (a 401, or a 429 before it): recorded too, but rate-limited per
        # client address by audit_app, since anyone can send these.
        record = hooks.audit_record_unauthenticated if not principal.authenticated and not principal.roles \
            else hooks.audit_record
        data = getattr(response, "data", None)
        record(
            principal=principal.name, action=self.audit_action(), source="api",
            object_type=self.audit_type, object_id=self.audit_object_id(response),
            before=self._audit_before, after=data if isinstance(data, (dict, list)) else None,
            status_code=response.status_code, request=request,
        )

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS or not self.audited:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            refused = response.status_code >= 400
            if refused:
                transaction.set_rollback(True)
            else:
                self._write_audit(self.request, response)
        if refused and response.status_code != 500:
            self._write_audit(self.request, response)
        return response


class BaseAPIView(TaskplaneViewMixin, APIView):
    """A plain endpoint; `required_roles` is keyed by lower-case HTTP method."""


class BaseViewSet(TaskplaneViewMixin, viewsets.GenericViewSet):
    """Actions only (no model CRUD): declare list/retrieve/... yourself."""


class BaseReadOnlyModelViewSet(TaskplaneViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


class BaseModelViewSet(TaskplaneViewMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


__all__ = ["BaseAPIView", "BaseModelViewSet", "BaseReadOnlyModelViewSet", "BaseViewSet", "mixins"]
