"""Instance commands, delivered through inboxes: config reload and leader step-down."""

import logging

from instances_app import inbox, presence
from instances_app.deadletters import UnknownInstance
from instances_app.inbox import InvalidMessage
from instances_app.lease import request_stepdown
from scheduler_project import live_config

log = logging.getLogger("taskplane.instances")
COMMANDS = {}


def command(name):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


def send(name: str, instance_id: str | None = None, **args) -> list[str]:
    """To one instance, or (instance_id None) to every live one; returns who it was sent to."""
    if name not in COMMANDS:
        raise InvalidMessage(f"unknown command {name!r} (known: {', '.join(sorted(COMMANDS))})")
    if instance_id and not presence.is_live(instance_id):
        # An instance that is not alive would find the command in its inbox whenever it comes
        # back, or never: a typo or a dead instance is an error now, not a silent no-op.
        live = ", ".join(i["instance_id"] for i in presence.live_instances()) or "none"
        raise UnknownInstance(f"unknown instance {instance_id!r}: no live instance has this id (live: {live})")
    targets = [instance_id] if instance_id else [i["instance_id"] for i in presence.live_instances()]
    for target in targets:
        inbox.enqueue(target, "command", {"name": name, "args": args})
    return targets


@inbox.handler("command")
def handle_command(instance_id: str, body: dict) -> None:
    name = body.get("name")
    if name not in COMMANDS:
        raise InvalidMessage(f"unknown command {name!r}")
    args = body.get("args") or {}
    if not isinstance(args, dict):
        raise InvalidMessage("command args must be an object")
    COMMANDS[name](instance_id, **args)


@command("stepdown")
def stepdown(instance_id: str) -> None:
    request_stepdown(instance_id)
    log.info("instance %s steps down from leadership", instance_id)


@command("reload_config")
def reload_config(instance_id: str) -> None:
    """Re-read the configuration here and, through its generation counter, in every api
    process of the instance (scheduler_project.live_config)."""
    report = live_config.reload_config()
    log.info("instance %s reloaded its configuration: applied %s; restart required for %s", instance_id,
             ", ".join(report["applied"]) or "nothing", ", ".join(report["restart_required"]) or "nothing")


@inbox.handler("run_event")
def handle_run_event(instance_id: str, body: dict) -> None:
    """Live events for this instance's sessions: the streaming responses read them from the
    inbox themselves (instances_app.sessions); for the group, arriving is being handled."""
    if not isinstance(body.get("event"), dict):
        raise InvalidMessage("run_event without an event object")


