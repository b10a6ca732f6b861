"""Every error status answers with the one body: {"error": {status, code, message[, fields]}}."""

from tasks_app.services import definitions
from tests.api.helpers import rate_limit, set_live
from tests.api.resource_suite import assert_error


def test_400_names_the_field(admin_client):
    response = admin_client.post("/api/v1/tasks/", {"name": "x", "type": "http", "spec": {"url": "ftp://x"}},
                                 format="json")
    assert assert_error(response, 400, "invalid")["fields"] == {"spec.url": ["must be an absolute http:// or https:// URL"]}


def test_400_for_malformed_json_and_bad_query_parameters(admin_client):
    response = admin_client.generic("POST", "/api/v1/tasks/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")
    assert "n" in assert_error(admin_client.get("/api/v1/tasks/1/next-fires/?n=1000"), 400)["fields"]
    assert "task" in assert_error(admin_client.get("/api/v1/runs/?task=abc"), 400)["fields"]
    assert "created_after" in assert_error(admin_client.get("/api/v1/runs/?created_after=yesterday"), 400)["fields"]


def test_400_for_nul_characters_the_database_cannot_store(admin_client):
    body = {"name": "x", "type": "http", "spec": {"url": "https://x/", "body": "a\u0000b"}}
    assert "NUL" in assert_error(admin_client.post("/api/v1/tasks/", body, format="json"), 400)["message"]


def test_401_403_404_405_409(anonymous_client, key_client, make_task, make_run):
    assert_error(anonymous_client.get("/api/v1/runs/"), 401, "not_authenticated")
    assert_error(key_client("WorkerRead").get("/api/v1/runs/"), 403, "permission_denied")
    admin = key_client("Admin")
    assert_error(admin.get("/api/v1/runs/999999/"), 404, "not_found")
    assert_error(admin.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(admin.delete("/api/v1/runs/1/"), 405, "method_not_allowed")
    run = make_run(make_task(), "failed")
    assert_error(admin.post(f"/api/v1/runs/{run.pk}/cancel/"), 409, "conflict")


def test_413_415_429(admin_client):
    set_live(max_request_bytes=1000)
    response = admin_client.post("/api/v1/tasks/", {"name": "x" * 2000}, format="json")
    assert_error(response, 413, "request_too_large")
    set_live(max_request_bytes=10_000_000)
    assert_error(admin_client.post("/api/v1/tasks/", "name=x", content_type="text/plain"), 415,
                 "unsupported_media_type")
    rate_limit(per_minute=1)
    admin_client.get("/api/v1/tasks/")
    response = admin_client.get("/api/v1/tasks/")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_500_is_the_same_body_and_changes_nothing(admin_client, make_task, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(definitions, "trigger", explode)
    task = make_task()
    response = admin_client.post(f"/api/v1/tasks/{task.pk}/trigger/", {}, format="json")
    error = assert_error(response, 500, "server_error")
    assert "boom" not in error["message"]  # no internals in the answer
