from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operator console at /ui/: tasks, runs with live output, workers, dead letters and the
    overview, acting through the same domain services as the API, audited the same way."""

    name = "console_app"
    verbose_name = "Operator console"

    def ready(self):
        from django.contrib import admin

        # The admin's "View site" link leads to the console (and the console links back).
        admin.site.site_url = "/ui/"
        admin.site.site_header = "Taskplane administration"
        admin.site.site_title = "Taskplane"
