from django.contrib import admin
from django.utils import timezone
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from .models import APIKey

# The library registers its own model's admin: a second, empty "API keys" on the index page.
# Our APIKey (a subclass) is the one in use.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)


@admin.register(APIKey)
class APIKeyAdmin(APIKeyModelAdmin):
    """The library's admin (the key shown once on creation), plus roles, origin and last use."""

    list_display = [*APIKeyModelAdmin.list_display, "roles", "source", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "source"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "source", "created_by", "last_used_at", "revoked_at",
                "revoked_by"]

    def save_model(self, request, obj, form, change):
        who = f"user:{request.user.get_username()}"
        if not change:
            obj.source, obj.created_by = APIKey.Source.ADMIN, who
        revoked_now = change and obj.revoked and not obj._initial_revoked
        super().save_model(request, obj, form, change)
        if revoked_now:
            APIKey.objects.filter(pk=obj.pk).update(revoked_at=timezone.now(), revoked_by=who)
