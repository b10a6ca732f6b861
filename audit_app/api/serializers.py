from rest_framework import serializers

from audit_app.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "principal", "action", "object_type", "object_id", "object_repr", "before", "after",
                  "source", "status_code", "method", "path", "remote_addr", "forwarded_for", "user_agent"]
        read_only_fields = fields
