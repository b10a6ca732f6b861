"""Configuration problems that only make sense once settings exist, as Django system checks.

Shape errors (unknown keys, types, ranges, unset variables) never get this far: the
entry points refuse to start on them (scheduler_project.config.load_config_or_exit).
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

INSECURE_KEY = "insecure-development-key-change-me"


@register(Tags.security, deploy=False)
def check_configuration(app_configs=None, **kwargs):
    config = settings.CONFIG
    tp = config.settings
    messages = []
    tls = tp.api.tls
    if tls.enabled:
        for key in ("cert_file", "key_file", "ca_file"):
            path = getattr(tls, key)
            if path and not Path(path).is_file():
                messages.append(Error(f"api.tls.{key}: {path} does not exist", id="taskplane.E001"))
    if not tp.api.auth.enabled:
        messages.append(
            Warning(
                "api.auth.enabled is false: the REST API is open to anyone who can reach it",
                hint="Only for development; set [api.auth] enabled = true elsewhere.",
                id="taskplane.W001",
            )
        )
    # The old system's keys that do not apply here: dropped, never silently (scheduler_project.config.seed).
    for ignored in config.warnings:
        messages.append(Warning(ignored.describe(), id="taskplane.W010",
                                hint="Remove the key, or see README \"Configuration\" for what replaces it."))
    if config.environment in ("staging", "production"):
        if tp.django.secret_key == INSECURE_KEY:
            messages.append(Error("django.secret_key: set DJANGO_SECRET_KEY", id="taskplane.E002"))
        if not tp.database.url:
            messages.append(Error("database.url: the embedded SQLite is for development", id="taskplane.E003"))
    return messages
