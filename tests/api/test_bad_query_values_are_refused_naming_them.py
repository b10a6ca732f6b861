"""Bad query values on every list are a 400 naming the parameter, not silently replaced by a
default (`limit=-1`, `offset=-5`), capped (`limit=10^9`) or ignored (`enabled=maybe`)."""

import pytest

from tests.api.resource_suite import assert_error

OFFSET_LISTS = ["/api/v1/tasks/", "/api/v1/workers/", "/api/v1/api-keys/", "/api/v1/notifications/channels/",
                "/api/v1/notifications/rules/"]
CURSOR_LISTS = ["/api/v1/runs/", "/api/v1/deadletters/", "/api/v1/audit/", "/api/v1/notifications/deliveries/"]
BOOLEAN_LISTS = ["/api/v1/tasks/", "/api/v1/notifications/channels/", "/api/v1/notifications/rules/"]


@pytest.mark.parametrize("url", OFFSET_LISTS + CURSOR_LISTS)
@pytest.mark.parametrize("value", ["-1", "0", "1000000000", "ten", "1.5"])
def test_limit(admin_client, url, value):
    assert "limit" in assert_error(admin_client.get(url, {"limit": value}), 400)["fields"]


@pytest.mark.parametrize("url", OFFSET_LISTS)
@pytest.mark.parametrize("value", ["-5", "x", "99999999999"])
def test_offset(admin_client, url, value):
    assert "offset" in assert_error(admin_client.get(url, {"offset": value}), 400)["fields"]


@pytest.mark.parametrize("url", BOOLEAN_LISTS)
def test_enabled(admin_client, url):
    assert "enabled" in assert_error(admin_client.get(url, {"enabled": "maybe"}), 400)["fields"]
    for value in ("true", "false", "1", "0"):
        assert admin_client.get(url, {"enabled": value}).status_code == 200


@pytest.mark.parametrize("url", OFFSET_LISTS)
def test_good_values_pass(admin_client, url):
    assert admin_client.get(url, {"limit": "500", "offset": "0"}).status_code == 200


def test_the_schema_states_the_bounds(admin_client):
    schema = admin_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 500)
    assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, 10_000_000)
    assert params["enabled"]["type"] == "boolean"
