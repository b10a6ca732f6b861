from django.apps import AppConfig


class AuditConfig(AppConfig):
    """who changed what, when and from where: every mutating API request and admin change"""

    name = "audit_app"
    verbose_name = "Audit log"

    def ready(self):
        from audit_app import signals  # noqa: F401  admin LogEntry -> AuditEntry
