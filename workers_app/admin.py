from django.contrib import admin, messages

from workers_app import services
from workers_app.models import RejectedMessage, Worker


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "status", "drain_state", "health", "host", "load", "concurrency", "last_heartbeat",
                    "version")
    list_filter = ("status",)
    search_fields = ("worker_id", "host", "node")
    actions = ["drain", "resume"]

    def view_on_site(self, worker):
        return f"/ui/workers/{worker.worker_id}/"  # the operator console's page

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Worker._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="health", boolean=False)
    def health(self, worker):
        return "STALLED: alive but not consuming" if worker.stalled_since else "ok"

    @admin.display(description="drain")
    def drain_state(self, worker):
        return worker.drain_state or "-"

    @admin.action(description="Drain (take no new executions)")
    def drain(self, request, queryset):
        for worker in queryset:
            services.drain(worker.worker_id, by=f"admin:{request.user.get_username()}")
        self.message_user(request, f"Draining {queryset.count()} worker(s).", messages.SUCCESS)

    @admin.action(description="Resume")
    def resume(self, request, queryset):
        for worker in queryset:
            services.resume(worker.worker_id, by=f"admin:{request.user.get_username()}")
        self.message_user(request, f"Resumed {queryset.count()} worker(s).", messages.SUCCESS)


@admin.register(RejectedMessage)
class RejectedMessageAdmin(admin.ModelAdmin):
    """Read-only: broker messages a role refused, kept by the control role (broker_guard.py)."""

    list_display = ("received_at", "reason", "task_name", "queue", "node", "content_type", "detail")
    list_filter = ("reason", "role")
    search_fields = ("task_name", "queue", "message_id", "node", "detail")
    date_hierarchy = "received_at"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in RejectedMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
