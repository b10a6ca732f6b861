from audit_app.api.filters import AuditEntryFilter
from audit_app.api.serializers import AuditEntrySerializer
from audit_app.models import AuditEntry
from scheduler_project.api.pagination import AuditKeysetPagination
from scheduler_project.api.permissions import SYSTEM_READ
from scheduler_project.api.viewsets import BaseReadOnlyModelViewSet


class AuditEntryViewSet(BaseReadOnlyModelViewSet):
    """The audit log, newest first (read-only; Admin or SystemRead)."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    pagination_class = AuditKeysetPagination
    lookup_value_regex = r"[0-9]{1,18}"
    audit_type = "audit"
    required_roles = {"list": SYSTEM_READ, "retrieve": SYSTEM_READ}
