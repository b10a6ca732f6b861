from django.db import models


class DeadLetter(models.Model):
    """No table: the dead letters live in Redis streams. This unmanaged model only gives them a
    page in the admin (instances_app.admin), next to the rest of the platform."""

    class Meta:
        managed = False
        verbose_name = "dead letter"
        verbose_name_plural = "dead letters (inbox DLQ)"
