from django.apps import AppConfig


class AuditConfig(AppConfig):
    """who changed what, when and from where: every mutating API request and admin change"""

    name = "audit_app"
    verbose_name = "Audit log"

    def ready(self):
        from audit_app import services, signals  # noqa: F401  signals: admin LogEntry -> AuditEntry
        from scheduler_project import hooks

        # The API's base view records every mutation through these (scheduler_project.hooks).
        hooks.audit_snapshot.provide(services.snapshot)
        hooks.audit_record.provide(services.record)
        hooks.audit_record_unauthenticated.provide(services.record_unauthenticated)
