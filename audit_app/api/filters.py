import django_filters

from audit_app.models import AuditEntry
from scheduler_project.api.filters import TimeFilter


class AuditEntryFilter(django_filters.FilterSet):
    principal = django_filters.CharFilter()
    action = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    source = django_filters.ChoiceFilter(choices=AuditEntry.Source.choices)
    at_after = TimeFilter(field_name="at", lookup_expr="gte")
    at_before = TimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["principal", "action", "object_type", "object_id", "source"]
