"""Bad channels and rules are refused with a 400 naming the field and the problem (or a 413 for a
body over the size limit); nothing is stored. Roles: Admin manages channels, TaskWrite rules,
TaskRead reads."""

import pytest

from notifications_app.models import Channel, Rule

CHANNELS = "/api/v1/notifications/channels/"
RULES = "/api/v1/notifications/rules/"


@pytest.fixture
def admin(key_client):
    return key_client("Admin")


@pytest.fixture
def channel(db):
    return Channel.objects.create(name="ops", type="webhook", url="https://hooks.example.com/x")


def refused(response, field: str, *words: str):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    message = " ".join(error["fields"][field])
    for word in words:
        assert word in message, message
    return message


@pytest.mark.parametrize(("url", "words"), [
    ("ftp://files.example.com/x", ["only http:// and https://"]),
    ("file:///etc/passwd", ["only http:// and https://"]),
    ("gopher://x", ["only http"]),
    ("http://", ["no host"]),
    ("http://169.254.169.254/latest/meta-data/", ["169.254.169.254", "metadata", "allow_networks"]),
    ("http://[fd00:ec2::254]/latest/", ["fd00:ec2::254"]),
    ("http://[::ffff:169.254.169.254]/", ["169.254.169.254"]),
    ("http://[fe80::1]/", ["link-local"]),
    ("http://metadata.google.internal/computeMetadata/v1/", ["metadata"]),
])
def test_webhook_urls_must_be_http_and_not_metadata(admin, url, words):
    response = admin.post(CHANNELS, {"name": "x", "type": "webhook", "url": url}, format="json")
    refused(response, "url", *words)
    assert not Channel.objects.exists()


def test_an_allowed_network_lifts_the_refusal(admin, settings):
    n = settings.TP.notifications.model_copy(update={"allow_networks": ["169.254.10.0/24"]})
    settings.TP = settings.TP.model_copy(update={"notifications": n})
    assert admin.post(CHANNELS, {"name": "x", "type": "webhook", "url": "http://169.254.10.5/"},
                      format="json").status_code == 201
    response = admin.post(CHANNELS, {"name": "y", "type": "webhook", "url": "http://169.254.169.254/"}, format="json")
    refused(response, "url", "169.254.169.254")


def test_email_channels_need_addresses(admin):
    refused(admin.post(CHANNELS, {"name": "m", "type": "email", "to": []}, format="json"), "to", "recipients")
    refused(admin.post(CHANNELS, {"name": "m", "type": "email", "to": ["ops@", "x"]}, format="json"), "to",
            "is not an e-mail address")
    refused(admin.post(CHANNELS, {"name": "m", "type": "email", "to": ["a@b.c"], "secret": "s"}, format="json"),
            "secret", "only webhooks")
    assert admin.post(CHANNELS, {"name": "m", "type": "email", "to": ["ops@example.com"]},
                      format="json").status_code == 201


def test_templates_are_checked_and_bounded(admin):
    base = {"name": "t", "type": "webhook", "url": "https://hooks.example.com/x"}
    refused(admin.post(CHANNELS, {**base, "template": "$task on $hostname"}, format="json"), "template",
            "unknown placeholder $hostname", "$task")
    refused(admin.post(CHANNELS, {**base, "template": "costs 5$"}, format="json"), "template", "$$")
    refused(admin.post(CHANNELS, {**base, "template": "x" * 100_000}, format="json"), "template",
            "at most 8192 characters")
    # 10 MB: over [api.security] max_request_size_mb, refused before the body is read.
    huge = admin.post(CHANNELS, {**base, "template": "x" * (10 * 1024 * 1024)}, format="json")
    assert huge.status_code == 413, huge.content
    assert "over the 10 MB limit" in huge.json()["error"]["message"]
    assert not Channel.objects.exists()


def test_unknown_events_and_missing_thresholds(key_client, channel):
    writer = key_client("TaskWrite")
    message = refused(writer.post(RULES, {"channel": channel.pk, "events": ["failed", "exploded", "late!"]},
                                  format="json"), "events", "unknown events 'exploded', 'late!'")
    assert "known: failed, dead, recovered" in message
    refused(writer.post(RULES, {"channel": channel.pk, "events": []}, format="json"), "events", "non-empty")
    refused(writer.post(RULES, {"channel": channel.pk, "events": "failed"}, format="json"), "events", "list")
    refused(writer.post(RULES, {"channel": channel.pk, "events": ["late"]}, format="json"), "late_after_seconds",
            "needs late_after_seconds")
    refused(writer.post(RULES, {"channel": channel.pk, "events": ["stale"]}, format="json"), "stale_after_seconds")
    refused(writer.post(RULES, {"channel": channel.pk, "events": ["long_running"]}, format="json"),
            "max_duration_seconds")
    refused(writer.post(RULES, {"channel": channel.pk, "events": ["failed"], "after_consecutive": 0}, format="json"),
            "after_consecutive")
    refused(writer.post(RULES, {"channel": 999999, "events": ["failed"]}, format="json"), "channel")
    assert not Rule.objects.exists()
    created = writer.post(RULES, {"channel": channel.pk, "events": ["failed", "late"], "late_after_seconds": 300,
                                  "tags": ["db"], "after_consecutive": 3}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["events"] == ["failed", "late"]


def test_roles(key_client, channel):
    reader, writer = key_client("TaskRead"), key_client("TaskWrite")
    assert reader.get(CHANNELS).status_code == 200
    assert reader.get(RULES).status_code == 200
    assert reader.get("/api/v1/notifications/deliveries/").status_code == 200
    body = {"name": "w", "type": "webhook", "url": "https://hooks.example.com/y"}
    assert writer.post(CHANNELS, body, format="json").status_code == 403  # channels: Admin
    assert reader.post(RULES, {"channel": channel.pk, "events": ["failed"]}, format="json").status_code == 403
    assert writer.post(RULES, {"channel": channel.pk, "events": ["failed"]}, format="json").status_code == 201
    assert writer.delete(f"{CHANNELS}{channel.pk}/").status_code == 403
    assert key_client("WorkerRead").get(CHANNELS).status_code == 403
