"""The HTTP target policy: an HTTP task never connects to link-local or cloud metadata
addresses, nor (by default) to the worker's own host, checked at connect time after DNS
resolution and on every redirect hop; the run fails saying so. Webhooks use the same rule
(scheduler_project/outbound.py)."""

import pytest
from pydantic import ValidationError

from scheduler_project import outbound
from scheduler_project.config.schema import Worker
from tests.support.http_policy import allow_http_to
from workers_app.executors import run_http

REFUSED = "refused by the HTTP target policy"


def _port(base: str) -> str:
    return base.rsplit(":", 1)[1]


def test_loopback_is_refused_by_default(http_server, settings):
    allow_http_to(settings)  # the defaults: nothing allowed, loopback denied
    assert Worker().http_deny == list(outbound.LOOPBACK) and Worker().http_allow == []
    result = run_http({"url": f"{http_server}/ok"}, timeout=5)
    assert result.status == "failed" and result.http_status is None
    assert REFUSED in result.error and "127.0.0.0/8" in result.error and "[worker] http_allow" in result.error


def test_a_name_is_judged_by_what_it_resolves_to(http_server, settings):
    allow_http_to(settings)
    result = run_http({"url": f"http://localhost:{_port(http_server)}/ok"}, timeout=5)
    assert result.status == "failed" and REFUSED in result.error and "localhost resolves to" in result.error


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://[::ffff:169.254.169.254]/", "http://metadata.google.internal/"])
def test_metadata_is_refused_even_with_no_deny_list(settings, url):
    allow_http_to(settings, deny=[])
    result = run_http({"url": url}, timeout=5)
    assert result.status == "failed" and REFUSED in result.error, result.error


def test_a_redirect_is_checked_too(http_server, settings):
    allow_http_to(settings, "127.0.0.1/32")
    assert run_http({"url": f"{http_server}/ok"}, timeout=5).status == "succeeded"
    result = run_http({"url": f"{http_server}/redirect?http://169.254.169.254/latest/meta-data/"}, timeout=5)
    assert result.status == "failed" and REFUSED in result.error and "169.254.169.254" in result.error
    allow_http_to(settings, "127.0.0.1/32", deny=["127.0.0.0/8", "::1/128", "127.0.0.2/32"])
    result = run_http({"url": f"{http_server}/redirect?http://127.0.0.2:{_port(http_server)}/ok"}, timeout=5)
    assert result.status == "failed" and REFUSED in result.error and "[worker] http_deny" in result.error


def test_http_deny_refuses_private_ranges_when_configured(settings):
    allow_http_to(settings, deny=["10.0.0.0/8"])
    result = run_http({"url": "http://10.1.2.3/"}, timeout=5)
    assert result.status == "failed" and REFUSED in result.error and "10.0.0.0/8" in result.error


def test_bad_networks_are_refused_naming_the_key():
    with pytest.raises(ValidationError) as refused:
        Worker(http_deny=["not-a-network"])
    assert "http_deny" in str(refused.value)


def test_webhooks_and_http_tasks_share_the_rule(settings):
    from notifications_app import targets

    with pytest.raises(outbound.TargetRefused):
        targets.check_url("http://169.254.169.254/hook")
    assert targets.TargetRefused is outbound.TargetRefused
