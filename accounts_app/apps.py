from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """API keys and roles"""

    name = "accounts_app"
    verbose_name = "Accounts"

    def ready(self):
        # What the infrastructure asks of accounts (scheduler_project.hooks).
        from accounts_app import services
        from scheduler_project import hooks

        hooks.user_roles.provide(services.user_roles)
        hooks.provision_config_keys.provide(lambda keys: services.provision_config_keys(keys).as_dict())
        hooks.ensure_config_keys.provide(services.ensure_config_keys)
