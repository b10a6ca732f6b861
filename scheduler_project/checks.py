"""Configuration problems that only make sense once settings exist, as Django system checks.

Shape errors (unknown keys, types, ranges, unset variables) never get this far: the
entry points refuse to start on them (scheduler_project.config.load_config_or_exit).

Each role is judged on what it uses (DESIGN.md "Processes"): a worker node holds a broker
connection and nothing else, so a missing database URL or Django secret is no error there.
The roles judged are the process's own (TASKPLANE_ROLE, which `serve` sets for each child),
else those `serve` is about to start (`judge_roles`), else the whole control plane (any other
manage.py command: migrate, createsuperuser, check ...).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

INSECURE_KEY = "insecure-development-key-change-me"
CONTROL_PLANE = ("api", "dispatcher", "control")
# What each role needs from the configuration beyond its broker.
USES_DATABASE = frozenset(CONTROL_PLANE)
SIGNS_WITH_SECRET_KEY = frozenset({"api"})  # sessions, CSRF, admin, JWTs without a jwt_secret
SERVES_THE_API = frozenset({"api"})

_serving: tuple[str, ...] = ()


def judge_roles(roles) -> None:
    """`serve` names the roles it is about to start before it runs the checks."""
    global _serving
    _serving = tuple(roles)


def judged_roles() -> frozenset[str]:
    if settings.ROLE:
        return frozenset({settings.ROLE})
    return frozenset(_serving or CONTROL_PLANE)


def configuration_messages(config, roles) -> list:
    """The problems of `config` for a process running `roles`; pure, for tests and the check."""
    roles = frozenset(roles)
    tp = config.settings
    messages = []
    if roles & SERVES_THE_API:
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
    if config.environment in ("staging", "production"):
        if roles & SIGNS_WITH_SECRET_KEY and tp.django.secret_key == INSECURE_KEY:
            messages.append(Error("django.secret_key: set DJANGO_SECRET_KEY", id="taskplane.E002"))
        if roles & USES_DATABASE and not tp.database.url:
            messages.append(Error("database.url: the embedded SQLite is for development", id="taskplane.E003"))
    # The old system's keys that do not apply here: dropped, never silently (scheduler_project.config.seed).
    for ignored in config.warnings:
        messages.append(Warning(ignored.describe(), id="taskplane.W010",
                                hint="Remove the key, or see README \"Configuration\" for what replaces it."))
    if roles and not roles & USES_DATABASE and tp.database.url:
        messages.append(
            Warning(
                f"database.url is set for the {', '.join(sorted(roles))} role, which never uses a database",
                hint="Worker nodes get the broker only: remove DATABASE_URL from their environment "
                "(deploy/config/worker.toml).",
                id="taskplane.W002",
            )
        )
    return messages


@register(Tags.security, deploy=False)
def check_configuration(app_configs=None, **kwargs):
    return configuration_messages(settings.CONFIG, judged_roles())
