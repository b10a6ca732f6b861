"""API keys are stored hashed: not in the key table, the audit log or the logs."""

import logging

from django.db import connection

from accounts_app.models import APIKey
from accounts_app.services import provision_config_keys
from audit_app.models import AuditEntry

CONFIGURED = "configured-key-0123456789-abcdef"


def _database_text() -> str:
    """Every row of the key and audit tables, as text."""
    with connection.cursor() as cursor:
        rows = []
        for table in (APIKey._meta.db_table, AuditEntry._meta.db_table):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608  fixed table names
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_keys_are_not_in_the_database_nor_the_logs(admin_client, key_client, caplog):
    caplog.set_level(logging.DEBUG)
    provision_config_keys({CONFIGURED: ["Admin"]})
    created = admin_client.post("/api/v1/api-keys/", {"name": "ci", "roles": ["TaskRead"]}, format="json").json()["key"]

    from rest_framework.test import APIClient

    for key in (created, CONFIGURED, admin_client.clear_key):
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=key)
        assert client.get("/api/v1/tasks/").status_code == 200
        client.post("/api/v1/tasks/", {"name": f"t-{key[:3]}", "type": "shell", "spec": {"command": "true"}},
                    format="json")
    bad = APIClient()
    bad.credentials(HTTP_X_API_KEY=created + "x")
    assert bad.get("/api/v1/tasks/").status_code == 401

    stored = _database_text()
    logged = caplog.text
    for key in (created, CONFIGURED, admin_client.clear_key, created + "x"):
        secret = key.split(".", 1)[-1]
        assert secret not in stored
        assert secret not in logged
    assert AuditEntry.objects.filter(action="api_key.create").get().after["key"] == "[redacted]"
    assert APIKey.objects.filter(source="config").get().hashed_key.startswith("sha512$$")


def test_secrets_in_task_definitions_are_redacted_in_the_audit_log(admin_client):
    spec = {"url": "https://x/", "headers": {"Authorization": "Bearer s3cr3t-token"}}
    admin_client.post("/api/v1/tasks/", {"name": "t", "type": "http", "spec": spec, "params": {"password": "hunter2"}},
                      format="json")
    entry = AuditEntry.objects.get(action="task.create")
    assert entry.after["spec"]["headers"]["Authorization"] == "[redacted]"
    assert entry.after["params"]["password"] == "[redacted]"
    assert "s3cr3t" not in repr(entry.after) and "hunter2" not in repr(entry.after)
