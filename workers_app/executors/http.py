"""Run an HTTP task with requests: status, headers and a capped, streamed body. Where it may
connect is the HTTP target policy (`[worker] http_allow` / `http_deny`), enforced by
scheduler_project.outbound at connect time, after DNS resolution, on every redirect hop."""

from __future__ import annotations

import time

import requests
from urllib3.exceptions import HTTPError, ReadTimeoutError

from scheduler_project import outbound
from tasks_app.specs import SpecError, http_request

from .result import UNKNOWN_TOTAL, ExecutionResult, cap_text

CHUNK = 65536


def parse_spec(spec: dict) -> dict:
    """The request of an http spec, as tasks_app.specs reads it (SpecError says what is wrong)."""
    return http_request(spec)


def worker_policy() -> outbound.Policy:
    """This worker's HTTP target policy, from its configuration (read for each run)."""
    from django.conf import settings

    worker = settings.TP.worker
    return outbound.Policy(
        allow=outbound.networks(worker.http_allow), deny=outbound.networks(worker.http_deny),
        allow_setting="[worker] http_allow", deny_setting="[worker] http_deny",
    )


def _limit(timeout: float | None, spec_timeout: float | None) -> float | None:
    limits = [t for t in (timeout, spec_timeout) if t is not None and t > 0]
    return min(limits) if limits else None


def run_http(spec: dict, *, timeout: float | None, output_cap: int = 1_048_576,
             policy: outbound.Policy | None = None) -> ExecutionResult:
    """Make the request; never raises for a bad spec or a network failure.

    The time limit is the smaller of `timeout` and the spec's timeout_seconds. requests applies
    it to connecting and to each read; the body loop also checks the overall deadline. A server
    that trickles its *headers* can still stretch the call to a few times the limit.
    """
    started = time.monotonic()

    def result(status: str, **fields) -> ExecutionResult:
        return ExecutionResult(status, duration_seconds=round(time.monotonic() - started, 3), **fields)

    try:
        req = parse_spec(spec)
    except SpecError as exc:
        return result("failed", error=str(exc))
    limit = _limit(timeout, req["timeout"])
    deadline = started + limit if limit else None
    policy = policy or worker_policy()
    try:
        outbound.check_url(req["url"], policy)
    except outbound.TargetRefused as exc:
        return result("failed", error=f"refused by the HTTP target policy: {exc}")
    response = None
    try:
        with outbound.session(policy) as session:
            try:
                response = session.request(
                    req["method"], req["url"], headers=req["headers"], data=req["data"], params=req["params"],
                    timeout=limit, stream=True,
                )
            except outbound.TargetRefused as exc:  # at connect time: this URL, or a redirect's
                return result("failed", error=f"refused by the HTTP target policy: {exc}")
            except requests.Timeout as exc:
                return result("timed_out", error=f"timed out after {limit:g}s: {exc}")
            except requests.RequestException as exc:
                return result("failed", error=f"request failed: {exc}")
            fields = {"http_status": response.status_code, "response_headers": dict(response.headers)}
            body, error = bytearray(), None
            try:
                # read1 returns what has arrived (iter_content would wait for a full chunk and
                # lose it on a timeout). Stop one byte past the cap: enough to know the body
                # was truncated, without loading (or waiting for) the rest of a huge body.
                while len(body) <= output_cap:
                    chunk = response.raw.read1(min(CHUNK, output_cap + 1 - len(body)), decode_content=True)
                    if not chunk:
                        break
                    body += chunk
                    # length_remaining 0: the body is complete, however late that was.
                    if deadline is not None and time.monotonic() >= deadline and response.raw.length_remaining != 0:
                        error = "timed_out"
                        break
            except ReadTimeoutError:
                error = "timed_out"
            except (HTTPError, OSError) as exc:
                error = f"{exc}"
            fields["stdout"] = cap_text(bytes(body), output_cap, _total(response, len(body), output_cap))
    finally:
        if response is not None:
            response.close()  # drops the connection rather than draining an unread body

    if error == "timed_out":
        return result("timed_out", error=f"timed out after {limit:g}s reading the response body", **fields)
    if error:
        return result("failed", error=f"reading the response body failed: {error}", **fields)
    status = fields["http_status"]
    expected = req["expected"]
    if (status not in expected) if expected else not 200 <= status <= 299:
        wanted = ", ".join(str(s) for s in expected) if expected else "2xx"
        return result("failed", error=f"unexpected HTTP status {status} (expected {wanted})", **fields)
    return result("succeeded", **fields)


def _total(response: requests.Response, read: int, cap: int) -> int:
    """How many body bytes there were, for the truncation marker, if we can know it."""
    if read <= cap:
        return read
    length = response.headers.get("Content-Length")
    # With Content-Encoding the length counts compressed bytes, not the decoded ones we keep.
    if length and length.isdigit() and not response.headers.get("Content-Encoding"):
        return int(length)
    return UNKNOWN_TOTAL
