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


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, '"url" is required'),
        ({"url": "ftp://example.com/x"}, "http:// or https://"),
        ({"url": "file:///etc/passwd"}, "http:// or https://"),
        ({"url": "http://"}, "http:// or https://"),
        ({"url": "http://h/", "method": "FETCH"}, '"method" must be one of'),
        ({"url": "http://h/", "expected_statuses": [200, 600]}, "integers from 100 to 599"),
        ({"url": "http://h/", "expected_statuses": ["200"]}, "integers from 100 to 599"),
        ({"url": "http://h/", "expected_statuses": [True]}, "integers from 100 to 599"),
        ({"url": "http://h/", "expected_statuses": []}, "integers from 100 to 599"),
        ({"url": "http://h/", "headers": {"A": 1}}, '"headers" must be'),
        ({"url": "http://h/", "body": 12}, '"body" must be'),
        ({"url": "http://h/", "timeout_seconds": 0}, '"timeout_seconds" must be'),
    ],
)
def test_a_bad_spec_fails_with_a_clear_error(spec, message):
    result = run_http(spec, timeout=1)

    assert result.status == "failed"
    assert message in result.error
