"""max_request_size_mb / max_json_payload_size_mb: 413 from Content-Length, before the body is read."""

from tests.api.helpers import set_live
from tests.api.resource_suite import assert_error


def test_a_body_over_max_request_size_is_413(admin_client):
    set_live(max_request_bytes=4096, max_json_bytes=100_000)
    response = admin_client.post("/api/v1/tasks/", "x" * 5000, content_type="application/octet-stream")
    assert "limit" in assert_error(response, 413, "request_too_large")["message"]


def test_a_json_body_over_max_json_payload_size_is_413(admin_client):
    set_live(max_request_bytes=100_000, max_json_bytes=2048)
    big = {"name": "t", "type": "http", "spec": {"url": "https://x/", "body": "y" * 3000}}
    assert "JSON" in assert_error(admin_client.post("/api/v1/tasks/", big, format="json"), 413)["message"]
    small = {"name": "t", "type": "http", "spec": {"url": "https://x/", "body": "y" * 100}}
    assert admin_client.post("/api/v1/tasks/", small, format="json").status_code == 201


def test_the_limits_come_from_the_configuration(settings):
    from scheduler_project import live_config as live

    values = live.values_of(settings.CONFIG)
    assert values.max_request_bytes == settings.TP.api.security.max_request_size_mb * 1024 * 1024
    assert values.max_json_bytes == settings.TP.api.security.max_json_payload_size_mb * 1024 * 1024
