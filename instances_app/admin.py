from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from instances_app import deadletters
from instances_app.models import DeadLetter


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    """Browse, replay and purge the inbox dead letters of every instance (Redis streams)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            if not self.has_change_permission(request):
                messages.error(request, "Only superusers may replay or purge dead letters.")
                return redirect(request.path)
            instance, entry = request.POST.get("instance", ""), request.POST.get("entry", "")
            try:
                if request.POST.get("action") == "replay":
                    new_id = deadletters.replay(instance, entry)
                    messages.success(request, f"Replayed {entry} into the inbox of {instance} as {new_id}.")
                elif request.POST.get("action") == "purge":
                    count = deadletters.purge(instance, [entry] if entry else None)
                    messages.success(request, f"Purged {count} dead letter(s) of {instance}.")
            except (deadletters.UnknownDeadLetter, deadletters.UnknownInstance) as exc:
                messages.error(request, str(exc))
            return redirect(request.path)
        try:
            letters = deadletters.list_letters(request.GET.get("instance") or None, 200)
        except deadletters.UnknownInstance as exc:
            messages.error(request, str(exc))
            letters = []
        context = {
            **self.admin_site.each_context(request),
            "title": "Dead letters",
            "letters": letters,
            "can_change": self.has_change_permission(request),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/instances_app/deadletter/change_list.html", context)
