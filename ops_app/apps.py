from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operators' commands: cleanup, vacuum, reindex, flower (README "Maintenance")."""

    name = "ops_app"
    verbose_name = "Operations"
