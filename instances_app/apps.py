from django.apps import AppConfig


class InstancesConfig(AppConfig):
    """control-plane instances: presence, leadership, inboxes"""

    name = "instances_app"
    verbose_name = "Instances"

    def ready(self):
        from instances_app import instance_commands, lease, live_events  # noqa: F401  inbox handlers, run-event receivers
        from tasks_app.services import firing

        # The engine refuses fires from a superseded leader through this (tasks_app.services.firing).
        firing.leader_superseded.provide(lease.superseded)
