from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """notification channels and rules, the notification outbox and its delivery, run-level SLAs"""

    name = "notifications_app"
    verbose_name = "Notifications"

    def ready(self):
        from notifications_app import outbox  # noqa: F401  the run_concluded receiver
