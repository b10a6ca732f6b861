"""Admin add / change / delete: each LogEntry the admin writes becomes an AuditEntry, with the
state before (snapshotted by AdminAuditMiddleware) and after (read now, after the save)."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from audit_app import services
from audit_app.middleware import current

ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


@receiver(post_save, sender=LogEntry)
def _log_entry_saved(sender, instance: LogEntry, created: bool, **kwargs):
    if not created:
        return
    context = current.get()
    if context is not None and context.in_action:
        return  # the action recorder writes one entry per object, with before and after
    model = instance.content_type.model_class() if instance.content_type_id else None
    if model is None:
        return
    kind = services.object_type(model)
    obj = None
    if instance.action_flag != DELETION:
        try:
            obj = model._default_manager.filter(pk=instance.object_id).first()
        except (ValueError, TypeError):
            obj = None
    before = context.before.get((kind, str(instance.object_id))) if context else None
    if obj is not None:
        public_id = services.object_id(obj)
    elif kind == "accounts_app.apikey":
        public_id = (before or {}).get("prefix", "")  # never the pk: it holds the key's hash
    else:
        public_id = instance.object_id or ""
    services.record(
        principal=f"user:{instance.user.get_username()}" if instance.user_id else "unknown",
        action=ACTIONS.get(instance.action_flag, "admin.change"), source="admin", object_type=kind,
        object_id=public_id, object_repr=instance.object_repr, before=before, after=services.snapshot(obj),
        request=context.request if context else None,
    )
