import pytest

from workers_app.executors import run_http


def test_a_status_outside_the_expected_list_fails(http_server):
    result = run_http({"url": f"{http_server}/status/500", "expected_statuses": [200, 201]}, timeout=5)

    assert result.status == "failed"
    assert result.error == "unexpected HTTP status 500 (expected 200, 201)"
    assert result.http_status == 500
    assert result.stdout == "status body"  # kept for the operator


def test_by_default_any_2xx_succeeds_and_anything_else_fails(http_server):
    assert run_http({"url": f"{http_server}/status/204"}, timeout=5).status == "succeeded"
    not_found = run_http({"url": f"{http_server}/status/404"}, timeout=5)
    assert not_found.error == "unexpected HTTP status 404 (expected 2xx)"


def test_an_expected_error_status_succeeds(http_server):
    assert run_http({"url": f"{http_server}/status/404", "expected_statuses": [404]}, timeout=5).status == "succeeded"


STATUSES = "spec.expected_statuses: must be a non-empty list of HTTP status codes (100-599)"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "spec.url: must be an absolute http:// or https:// URL"),
        ({"url": "ftp://example.com/x"}, "http:// or https://"),
        ({"url": "file:///etc/passwd"}, "http:// or https://"),
        ({"url": "http://"}, "http:// or https://"),
        ({"url": "http://h/", "method": "FETCH"}, "spec.method: must be one of"),
        ({"url": "http://h/", "expected_statuses": [200, 600]}, STATUSES),
        ({"url": "http://h/", "expected_statuses": ["200"]}, STATUSES),
        ({"url": "http://h/", "expected_statuses": [True]}, STATUSES),
        ({"url": "http://h/", "expected_statuses": []}, STATUSES),
        ({"url": "http://h/", "headers": {"A": 1}}, "spec.headers: must map"),
        ({"url": "http://h/", "body": 12}, "spec.body: must be a string or a JSON object or list"),
        ({"url": "http://h/", "timeout_seconds": 0}, "spec.timeout_seconds: must be a positive number"),
    ],
)
def test_a_bad_spec_fails_with_a_clear_error(spec, message):
    result = run_http(spec, timeout=1)

    assert result.status == "failed"
    assert message in result.error
