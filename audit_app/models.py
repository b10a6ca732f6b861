from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One mutating request, console action or admin change. Written by audit_app.services only, never edited.

    API entries are written for refused attempts too (status_code >= 400, nothing changed),
    so that a key probing what it may do shows up. before/after are redacted snapshots:
    secrets (keys, passwords, tokens, authorization headers) never reach this table.
    """

    class Source(models.TextChoices):
        API = "api"
        ADMIN = "admin"
        CONSOLE = "console"  # the operator console at /ui/ (console_app)

    at = models.DateTimeField(default=timezone.now)
    principal = models.CharField(max_length=200, help_text="key:<name>, user:<username> or anonymous")
    action = models.CharField(max_length=100, help_text="e.g. task.create, run.cancel, admin.change")
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model, or a resource name")
    object_id = models.CharField(max_length=200, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="the API response's status")
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    forwarded_for = models.CharField(max_length=300, blank=True, help_text="X-Forwarded-For as received (unverified)")
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            # The API's keyset pagination walks (at, id) downwards.
            models.Index(fields=["-at", "-id"], name="audit_at_id_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["principal", "-at"], name="audit_principal_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.principal} {self.action} {self.object_type} {self.object_id}"
