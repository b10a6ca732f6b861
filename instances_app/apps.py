from django.apps import AppConfig


class InstancesConfig(AppConfig):
    """control-plane instances: presence, leadership, inboxes"""

    name = "instances_app"
    verbose_name = "Instances"

    def ready(self):
        from instances_app import instance_commands, lease, live_events, presence  # noqa: F401  inbox handlers, run-event receivers
        from scheduler_project import hooks
        from tasks_app.services import firing, following

        # The engine refuses fires from a superseded leader through this (tasks_app.services.firing).
        firing.leader_superseded.provide(lease.superseded)
        # `runs logs --follow` and `tasks trigger --wait` follow the live event stream of this instance.
        following.live_events.provide(live_events.follow)
        # `serve --mode dispatcher` warns when no control role is alive.
        hooks.control_role_seen.provide(presence.control_role_seen)
