from django.apps import AppConfig


class InstancesConfig(AppConfig):
    """control-plane instances: presence, leadership, inboxes"""

    name = "instances_app"
    verbose_name = "Instances"

    def ready(self):
        from instances_app import commands  # noqa: F401  registers the inbox handlers
