"""What an execution produced, in a form that travels over the broker (JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# `total` for cap_text when the bytes past the cap were never read (an HTTP body we stopped
# reading), so their number is not known.
UNKNOWN_TOTAL = -1


@dataclass
class ExecutionResult:
    status: str  # "succeeded" | "failed" | "timed_out" | "cancelled"
    exit_code: int | None = None
    http_status: int | None = None
    stdout: str = ""  # shell stdout, or the HTTP response body
    stderr: str = ""
    response_headers: dict[str, str] | None = None
    error: str = ""  # human-readable reason when not succeeded
    duration_seconds: float = 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        if data["response_headers"] is not None:
            data["response_headers"] = {str(k): str(v) for k, v in data["response_headers"].items()}
        return data


def truncation_marker(dropped: int) -> str:
    if dropped < 0:
        return "\n[... output truncated: more bytes not read ...]\n"
    return f"\n[... output truncated: {dropped} more bytes ...]\n"


def cap_text(data: bytes, cap: int, total: int | None = None) -> str:
    """Decode at most `cap` bytes of `data`, with a visible marker when anything was dropped.

    `total` is how many bytes were produced in all, for callers that kept only a prefix and
    counted the rest (a pipe drained past the cap); UNKNOWN_TOTAL when the rest was not read.
    Cutting at a byte offset can split a UTF-8 sequence: errors="replace" turns the piece into
    U+FFFD rather than failing.
    """
    cap = max(0, cap)
    if total is None:
        total = len(data)
    kept = data[:cap]
    text = kept.decode("utf-8", errors="replace")
    if total == UNKNOWN_TOTAL:
        return text + truncation_marker(-1) if len(data) > cap else text
    if total > len(kept):
        text += truncation_marker(total - len(kept))
    return text
