"""POST /api/system/reload-config: live keys apply at once (in every api process of the
instance), the others are reported as needing a restart."""

import pytest
from django.conf import settings

from accounts_app.models import APIKey
from scheduler_project import live_config as live
from scheduler_project.redis_store.client import get_redis
from tests.api.resource_suite import assert_error

CONFIG = """
[api]
workers = 7
cors_enabled = true
cors_origins = ["https://ops.example.com"]

[api.rate_limiting]
enabled = true
max_requests_per_minute = 120
burst_size = 10

[api.security]
max_json_payload_size_mb = 1

[api.auth.api_keys]
"a-reloaded-key-0123456789" = ["SystemRead"]

[observability]
log_level = "warning"
"""


@pytest.fixture
def config_file(tmp_path, monkeypatch, redis_prefix):
    # redis_prefix: a reload bumps this instance's generation key, which every test process on
    # this host shares otherwise; another xdist worker would then drop its own live settings.
    path = tmp_path / "taskplane.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("TASKPLANE_CONFIG", str(path))
    return path


def test_reload_applies_live_keys_and_lists_the_rest(admin_client, config_file):
    response = admin_client.post("/api/system/reload-config")
    assert response.status_code == 200, response.content
    report = response.json()
    assert set(report["applied"]) >= {"api.cors_enabled", "api.cors_origins", "api.rate_limiting.enabled",
                                      "api.rate_limiting.max_requests_per_minute", "api.rate_limiting.burst_size",
                                      "api.security.max_json_payload_size_mb", "observability.log_level",
                                      "api.auth.api_keys"}
    assert "api.workers" in report["restart_required"]
    assert report["api_keys"]["created"] and report["propagated"] is True
    assert "a-reloaded-key" not in response.content.decode()  # paths and names, never values

    values = live.current()
    assert (values.rate_limit.per_minute, values.rate_limit.capacity) == (120, 10)
    assert values.cors.allows("https://ops.example.com") and values.max_json_bytes == 1024 * 1024
    assert settings.TP.api.workers != 7  # restart-only keys never half-apply
    assert APIKey.objects.filter(source="config", revoked=False).count() == 1


def test_other_processes_pick_up_the_new_generation(admin_client, config_file):
    live.remember_generation()
    get_redis().incr(live._generation_key())  # another api process reloaded
    live._next_check = 0.0
    live.refresh_if_stale()
    assert live.current().rate_limit.per_minute == 120


def test_a_bad_file_is_a_400_naming_the_key_and_changes_nothing(admin_client, tmp_path, monkeypatch):
    path = tmp_path / "bad.toml"
    path.write_text("[api.rate_limiting]\nmax_requests_per_minut = 5\n")
    monkeypatch.setenv("TASKPLANE_CONFIG", str(path))
    before = live.current()
    error = assert_error(admin_client.post("/api/system/reload-config"), 400, "invalid")
    assert "api.rate_limiting.max_requests_per_minut" in error["fields"]
    assert live.current() == before
