from django import forms
from django.contrib import admin, messages

from notifications_app import services
from notifications_app.models import Alert, Channel, DeliveryAttempt, Notification, Rule


class ChannelAddForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["name", "type", "url", "format", "to", "secret", "template", "enabled"]
        widgets = {"secret": forms.PasswordInput}


class ChannelChangeForm(forms.ModelForm):
    """The secret is never shown again once set: it can be replaced, not read."""

    new_secret = forms.CharField(required=False, widget=forms.PasswordInput,
                                 help_text="set to replace the secret; leave empty to keep it")

    class Meta:
        model = Channel
        fields = ["name", "type", "url", "format", "to", "template", "enabled"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "format", "target", "enabled", "has_secret", "updated_at")
    list_filter = ("type", "enabled")
    search_fields = ("name", "url")
    actions = ["send_test"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ChannelChangeForm if obj is not None else ChannelAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change and form.cleaned_data.get("new_secret"):
            obj.secret = form.cleaned_data["new_secret"]
        super().save_model(request, obj, form, change)

    @admin.display(description="url or recipients")
    def target(self, channel):
        return channel.url or ", ".join(channel.to or [])

    @admin.display(boolean=True)
    def has_secret(self, channel):
        return bool(channel.secret)

    @admin.action(description="Send a test message")
    def send_test(self, request, queryset):
        for channel in queryset:
            sent = services.send_test(channel, by=f"admin:{request.user.get_username()}")
            level = messages.SUCCESS if sent.status == Notification.Status.DELIVERED else messages.ERROR
            self.message_user(request, f"{channel.name}: {sent.status}" + (f" ({sent.last_error})" if sent.last_error
                                                                            else ""), level)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "task", "tags", "events", "after_consecutive", "min_interval_seconds", "enabled")
    list_filter = ("enabled", "channel")
    raw_id_fields = ("task",)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("attempt", "at", "ok", "response_code", "error", "duration_ms", "by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery history (read-only)."""

    list_display = ("id", "event", "channel_id", "task_id", "run_id", "status", "attempts", "response_code",
                    "created_at", "delivered_at")
    list_filter = ("status", "event")
    inlines = [DeliveryAttemptInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rule", "task_id", "kind", "active", "since", "cleared_at", "activations")
    list_filter = ("kind", "active")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False
