import os

from django.core.wsgi import get_wsgi_application

from scheduler_project.config import load_config_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
load_config_or_exit()
application = get_wsgi_application()

# The api role's start: auth warnings, API_KEYS provisioning (scheduler_project.api.startup).
from scheduler_project.api.startup import on_api_start  # noqa: E402

on_api_start()
