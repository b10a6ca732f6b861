import json
import socket
import time

from tests.support.http_policy import allow_http_to
from workers_app.executors import run_http, run_spec


def test_status_headers_and_body_are_recorded(http_server):
    result = run_http({"url": f"{http_server}/ok"}, timeout=5)

    assert result.status == "succeeded"
    assert result.http_status == 200
    assert result.stdout == "hello from the server"
    assert result.response_headers["X-Test"] == "yes"
    assert result.exit_code is None
    json.dumps(result.to_dict())  # travels over the broker as JSON


def test_a_json_body_is_sent_as_json(http_server):
    result = run_http(
        {"url": f"{http_server}/echo", "method": "post", "body": {"a": [1, 2]}, "expected_statuses": [201]},
        timeout=5,
    )

    echo = json.loads(result.stdout)
    assert result.status == "succeeded"
    assert echo["content_type"] == "application/json"
    assert json.loads(echo["body"]) == {"a": [1, 2]}


def test_a_text_body_and_headers_are_sent_as_given(http_server):
    result = run_spec(
        "http",
        {"url": f"{http_server}/echo", "method": "PUT", "body": "plain", "headers": {"Content-Type": "text/x-test"}},
        timeout=5,
    )

    assert json.loads(result.stdout)["content_type"] == "text/x-test"
    assert json.loads(result.stdout)["body"] == "plain"


def test_a_big_body_is_capped_with_a_marker(http_server):
    result = run_http({"url": f"{http_server}/big?5000000"}, timeout=5, output_cap=100)

    assert result.status == "succeeded"
    assert result.stdout == "x" * 100 + "\n[... output truncated: 4999900 more bytes ...]\n"


def test_a_server_that_does_not_answer_in_time_times_out(http_server):
    began = time.monotonic()
    result = run_http({"url": f"{http_server}/slow-headers"}, timeout=1)

    assert result.status == "timed_out"
    assert time.monotonic() - began < 2.5


def test_a_body_that_stalls_times_out_and_keeps_what_arrived(http_server):
    result = run_http({"url": f"{http_server}/slow-body", "timeout_seconds": 1}, timeout=30)

    assert result.status == "timed_out"
    assert result.http_status == 200
    assert result.stdout == "first part "


def test_a_refused_connection_fails_with_the_reason(settings):
    allow_http_to(settings, "127.0.0.1/32")
    # A port bound but not listening refuses, and stays ours while the test runs (a port merely
    # found free could be taken by another test process meanwhile).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        result = run_http({"url": f"http://127.0.0.1:{closed.getsockname()[1]}/"}, timeout=2)

    assert result.status == "failed"
    assert "request failed" in result.error and "refused" in result.error.lower()
