"""CORS from [api] cors_* and [api.security] cors_*: either enables it, origins are merged."""

from scheduler_project.live_config import Cors, cors_of
from tests.api.helpers import set_live


def test_an_allowed_origin_gets_the_cors_headers(key_client):
    set_live(cors=Cors(True, ("https://ops.example.com",), 600))
    client = key_client("TaskRead")
    response = client.get("/api/v1/tasks/", HTTP_ORIGIN="https://ops.example.com")
    assert response["Access-Control-Allow-Origin"] == "https://ops.example.com"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/tasks/", HTTP_ORIGIN="https://ops.example.com",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-api-key, content-type")
    assert "x-api-key" in preflight["Access-Control-Allow-Headers"]


def test_other_origins_and_disabled_cors_get_none(key_client):
    client = key_client("TaskRead")
    set_live(cors=Cors(True, ("https://ops.example.com",), 600))
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/tasks/", HTTP_ORIGIN="https://evil.example")
    set_live(cors=Cors(False, ("https://ops.example.com",), 600))
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/tasks/", HTTP_ORIGIN="https://ops.example.com")


def test_precedence_of_the_two_sections(settings):
    tp = settings.TP.model_copy(deep=True)
    tp.api.cors_enabled, tp.api.cors_origins = False, ["https://a.example/"]
    tp.api.security.cors_enabled, tp.api.security.cors_origins = True, ["https://b.example", "https://a.example"]
    tp.api.security.cors_max_age_seconds = 99
    assert cors_of(tp) == Cors(True, ("https://a.example", "https://b.example"), 99)
    tp.api.security.cors_enabled = False
    assert not cors_of(tp).allows("https://a.example")
    tp.api.cors_enabled, tp.api.cors_origins = True, ["*"]
    assert cors_of(tp).allows("https://anything.example")
