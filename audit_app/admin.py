from django.contrib import admin

from audit_app.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the system, never edited."""

    list_display = ("at", "principal", "action", "object_type", "object_id", "object_repr", "source", "status_code",
                    "remote_addr")
    list_filter = ("source", "action", "object_type")
    search_fields = ("principal", "object_id", "object_repr", "path")
    date_hierarchy = "at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
