"""API_KEYS='{"key1": ["Admin"]}' provisions keys at start: hashed, idempotent, revoked when removed."""

from rest_framework.test import APIClient

from accounts_app import services as accounts
from accounts_app.models import APIKey
from accounts_app.services import PROVISIONING, provision_config_keys, revoke
from scheduler_project.api import startup


def _client(key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


def test_configured_keys_work_and_are_provisioned_once(db):
    for _ in range(3):  # every start
        provision_config_keys({"key1": ["Admin"], "key2": ["TaskRead", "TaskWrite"]})
    assert APIKey.objects.filter(source="config").count() == 2
    assert _client("key1").get("/api/v1/api-keys/").status_code == 200
    assert _client("key2").get("/api/v1/tasks/").status_code == 200
    assert _client("key2").get("/api/v1/api-keys/").status_code == 403
    assert _client("key3").get("/api/v1/tasks/").status_code == 401


def test_changed_roles_update_and_removed_keys_are_revoked_then_reactivated(db):
    provision_config_keys({"key1": ["Admin"], "key2": ["TaskRead"]})
    report = provision_config_keys({"key2": ["TaskRead", "WorkerRead"]})
    assert len(report.revoked) == 1 and len(report.updated) == 1
    assert _client("key1").get("/api/v1/tasks/").status_code == 401
    assert APIKey.objects.get(source="config", revoked=True).revoked_by == PROVISIONING
    assert _client("key2").get("/api/v1/workers/").status_code == 200

    report = provision_config_keys({"key1": ["Admin"], "key2": ["TaskRead", "WorkerRead"]})
    assert len(report.reactivated) == 1
    assert _client("key1").get("/api/v1/tasks/").status_code == 200


def test_a_key_an_operator_revoked_stays_revoked(db):
    provision_config_keys({"key1": ["Admin"]})
    revoke(APIKey.objects.get(source="config"), "user:ops")
    report = provision_config_keys({"key1": ["Admin"]})
    assert report.kept_revoked and not report.reactivated
    assert _client("key1").get("/api/v1/tasks/").status_code == 401


def test_start_up_provisions_from_settings(db, settings):
    tp = settings.TP.model_copy(deep=True)
    tp.api.auth.api_keys = {"from-env-key-123456": ["SystemRead"]}
    settings.TP = tp
    accounts._provisioned = False
    accounts._next_try = 0.0
    startup.on_api_start()
    assert APIKey.objects.filter(source="config", roles=["SystemRead"]).exists()
    assert _client("from-env-key-123456").get("/api/system/info").status_code == 200


def test_bootstrap_provisions_them_too(db, settings):
    from io import StringIO

    from django.core.management import call_command

    tp = settings.TP.model_copy(deep=True)
    tp.api.auth.api_keys = {"bootstrap-key-123456": ["Admin"]}
    settings.TP = tp
    out = StringIO()
    call_command("bootstrap", stdout=out)
    assert "1 configured key(s) provisioned" in out.getvalue()
    assert "bootstrap-key-123456" not in out.getvalue()
    assert APIKey.objects.filter(source="config").count() == 1
