"""Holding broker credentials gives no secret of the control plane (issue 15 item 1, guarantee
10): a plain Celery client (no project code) asks every remote-control question of a running
control role and worker, and no reply holds the database password, an API key, the Django or
JWT secret or the broker password."""

import json
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery

from tests.support.processes import wait_for

pytestmark = pytest.mark.e2e

INSPECT = ("conf", "report", "stats", "registered", "active_queues", "active", "reserved", "scheduled",
           "revoked", "clock", "ping")


def with_password(url: str, password: str) -> str:
    """The database URL with a password (the machine's PostgreSQL trusts local users, so any
    password connects): the control role must hold it and never tell it."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    user = parts.netloc.rpartition("@")[0].partition(":")[0] or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def test_no_remote_control_reply_holds_a_secret(platform):
    tokens = {name: f"{name.lower()}-{secrets.token_hex(8)}" for name in
              ("DB_PASSWORD", "API_KEY", "DJANGO_SECRET_KEY", "JWT_SECRET", "SMTP_PASSWORD")}
    env = {"DJANGO_SECRET_KEY": tokens["DJANGO_SECRET_KEY"], "JWT_SECRET": tokens["JWT_SECRET"],
           "API_KEYS": json.dumps({tokens["API_KEY"]: ["Admin"]}), "SMTP_PASSWORD": tokens["SMTP_PASSWORD"]}
    if platform.env["DATABASE_URL"].startswith("postgres"):
        env["DATABASE_URL"] = with_password(platform.env["DATABASE_URL"], tokens["DB_PASSWORD"])
    else:
        tokens.pop("DB_PASSWORD")
    broker_url = platform.config.broker_url
    broker_password = urlsplit(broker_url).password
    if broker_password and broker_password != urlsplit(broker_url).username:
        tokens["BROKER_PASSWORD"] = broker_password  # (guest:guest: the user name is no secret)

    platform.start("control", **env)
    platform.start("worker", "--worker-id", "inspected", **env)
    nodes = [f"control@{platform.config.instance_id}", "worker@inspected"]

    # Not set as current: later tests in this process publish through current_app, the project's.
    client = Celery(broker=broker_url, set_as_current=False)
    try:
        inspect = client.control.inspect(destination=nodes, timeout=3)
        wait_for(lambda: len(inspect.ping() or {}) == 2, 60, "both roles to answer ping")
        replies = {}
        for question in INSPECT:
            replies[question] = getattr(inspect, question)()
        replies["conf_with_defaults"] = inspect.conf(with_defaults=True)
    finally:
        client.close()

    for question, reply in replies.items():
        assert reply and set(reply) == set(nodes), (question, reply)
    text = json.dumps(replies, default=repr)
    # The configuration's own objects never reach Celery's configuration.
    assert "TP" not in replies["conf"][nodes[0]] and "CONFIG" not in replies["conf"][nodes[0]]
    assert "broker_url" in replies["conf"][nodes[0]]
    leaked = {name: token for name, token in tokens.items() if token in text}
    assert not leaked, f"remote-control replies hold {sorted(leaked)}"
    logs = platform.log("control") + platform.log("worker")
    assert not {name for name, token in tokens.items() if token in logs}, "a secret in the roles' logs"
