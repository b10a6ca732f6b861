from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """API keys and roles"""

    name = "accounts_app"
    verbose_name = "Accounts"
