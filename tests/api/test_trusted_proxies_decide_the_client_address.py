"""Behind a load balancer, the client address (rate-limit bucket of anonymous callers, the
audit's "from where") comes from X-Forwarded-For, but only when the request comes from one of
[api.security] trusted_proxies, and never from what the client itself wrote there."""

import pytest
from django.test import RequestFactory

from scheduler_project.api.principal import client_address
from scheduler_project.config import ConfigError, load_config


def with_proxies(settings, proxies):
    api = settings.TP.api
    settings.TP = settings.TP.model_copy(update={"api": api.model_copy(update={
        "security": api.security.model_copy(update={"trusted_proxies": proxies})})})


def request(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/api/v1/tasks/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    with_proxies(settings, [])
    assert client_address(request("10.0.0.5", "203.0.113.7")) == "10.0.0.5"


def test_a_trusted_proxy_reports_the_client(settings):
    with_proxies(settings, ["10.0.0.0/8", "192.0.2.1"])
    assert client_address(request("10.0.0.5", "203.0.113.7")) == "203.0.113.7"
    # Two of our proxies in a row, and a client claiming an address of its own on the left.
    assert client_address(request("10.0.0.5", "1.2.3.4, 203.0.113.7, 192.0.2.1")) == "203.0.113.7"
    assert client_address(request("10.0.0.5")) == "10.0.0.5"  # no header: the proxy itself


def test_an_untrusted_sender_cannot_choose_its_address(settings):
    with_proxies(settings, ["10.0.0.0/8"])
    assert client_address(request("198.51.100.9", "10.0.0.1")) == "198.51.100.9"


@pytest.mark.django_db
def test_the_audit_records_the_client_behind_the_proxy(settings):
    from audit_app.services import request_meta

    with_proxies(settings, ["10.0.0.0/8"])
    meta = request_meta(request("10.0.0.5", "203.0.113.7"))
    assert meta["remote_addr"] == "203.0.113.7" and meta["forwarded_for"] == "203.0.113.7"


def test_a_bad_network_is_a_config_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[api.security]\ntrusted_proxies = ["10.0.0.0/8", "the load balancer"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert "api.security.trusted_proxies" in str(caught.value) and "the load balancer" in str(caught.value)
