from audit_app.models import AuditEntry
from scheduler_project.api.serializers import ModelSerializer


class AuditEntrySerializer(ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "principal", "action", "object_type", "object_id", "object_repr", "before", "after",
                  "source", "status_code", "method", "path", "remote_addr", "forwarded_for", "user_agent"]
        read_only_fields = fields
