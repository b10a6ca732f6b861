"""A JSON body nested 10,000 levels (any TaskWrite caller can send one) is a 400, not a
RecursionError and a 500."""

from tests.api.resource_suite import assert_error


def test_a_body_nested_ten_thousand_levels_is_a_400(admin_client):
    body = '{"name": "t", "type": "http", "spec": ' + "[" * 10_000 + "]" * 10_000 + "}"
    response = admin_client.post("/api/v1/tasks/", body, content_type="application/json")
    assert "nested deeper" in assert_error(response, 400)["message"]


def test_a_body_nested_a_hundred_levels_is_a_400_too(admin_client):
    body = '{"name": "t", "type": "http", "spec": ' + "[" * 100 + "]" * 100 + "}"
    response = admin_client.post("/api/v1/tasks/", body, content_type="application/json")
    assert "nested deeper" in assert_error(response, 400)["message"]
