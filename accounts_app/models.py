from django.db import models
from rest_framework_api_key.models import AbstractAPIKey

ROLES = ("Admin", "TaskRead", "TaskWrite", "WorkerRead", "WorkerWrite", "SystemRead")


class APIKey(AbstractAPIKey):
    """An API key: stored hashed with a lookup prefix (by the library), with its roles.

    Sent as `X-API-Key: <prefix>.<secret>`; the clear key exists only in the response
    that created it. Keys provisioned from the configuration (`API_KEYS`, source "config")
    are arbitrary strings: their lookup prefix is derived from a hash of the key instead
    (accounts_app.services.config_key_prefix), since they have no "<prefix>." part.
    """

    class Source(models.TextChoices):
        API = "api"
        ADMIN = "admin"
        COMMAND = "command"  # manage.py createapikey / bootstrap
        CONFIG = "config"    # API_KEYS / [api.auth.api_keys], provisioned at start and on reload

    roles = models.JSONField(default=list, help_text=f"Any of: {', '.join(ROLES)}")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.COMMAND, editable=False)
    created_by = models.CharField(max_length=200, blank=True, editable=False)
    # Written at most once a minute per key (accounts_app.services.touch), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.CharField(max_length=200, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        unknown = [r for r in self.roles if r not in ROLES] if isinstance(self.roles, list) else [self.roles]
        if unknown or not self.roles:
            raise ValidationError({"roles": f"roles must be a non-empty list of {', '.join(ROLES)}; got {self.roles!r}"})

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)
