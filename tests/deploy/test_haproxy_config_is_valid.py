"""deploy/haproxy/haproxy.cfg: `haproxy -c` accepts it without a warning (the DNS name of the api
servers rewritten to 127.0.0.1, which resolves here), and the routing keeps its promises: event
streams go to a backend with a long server timeout, /metrics is denied outside internal networks,
the api servers are health-checked with GET /health."""

from __future__ import annotations

import re
from pathlib import Path

from tests.deploy._tools import DEPLOY, require_tool, run

CFG = DEPLOY / "haproxy" / "haproxy.cfg"
SSE_PATHS = ["/api/v1/runs/42/events", "/api/v1/runs/7f3a/events/", "/api/v1/events"]
SECTION_WORDS = ("global", "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist")


def runnable_cfg(text: str, backend_port: int = 8080, bind_port: int | None = None) -> str:
    text = re.sub(r"(server(?:-template)?\s+\S+\s+(?:\S+\s+)?)api:8080", rf"\g<1>127.0.0.1:{backend_port}", text)
    if bind_port is not None:
        text = re.sub(r"bind \*:80\b", f"bind 127.0.0.1:{bind_port}", text)
    return text


def check_with_haproxy(tmp_path: Path, text: str) -> tuple[int, str]:
    haproxy = require_tool("haproxy")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(runnable_cfg(text))
    result = run([haproxy, "-c", "-f", str(cfg)], timeout=60)
    return result.returncode, result.stdout


def sections(text: str) -> dict[str, list[str]]:
    """{'frontend NAME': [lines], ...}, comments dropped."""
    out: dict[str, list[str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw[0].isspace() and line.split()[0] in SECTION_WORDS:
            current = " ".join(line.split()[:2])
            out[current] = []
        elif current:
            out[current].append(line.strip())
    return out


def _acl_matches(acl_lines: list[list[str]], name: str, path: str) -> bool:
    for words in acl_lines:
        if words[1] != name:
            continue
        fetch, values = words[2], words[3:]
        if fetch == "path_reg" and any(re.search(v, path) for v in values):
            return True
        if fetch == "path_beg" and any(path.startswith(v) for v in values):
            return True
        if fetch == "path" and path in values:
            return True
    return False


def _condition(words: list[str], acls: list[list[str]], path: str) -> bool:
    """`if a !b` with path ACLs evaluated and every `src` ACL taken as 'not internal' (an outside client)."""
    for word in words:
        negated, name = word.startswith("!"), word.lstrip("!")
        is_src = any(a[1] == name and a[2] == "src" for a in acls)
        value = False if is_src else _acl_matches(acls, name, path)
        if value == negated:
            return False
    return True


def route(text: str, path: str) -> tuple[str, bool]:
    """(backend, denied) for a request to `path` from an outside client, per the first frontend."""
    frontend = next(lines for name, lines in sections(text).items() if name.startswith("frontend"))
    acls = [l.split() for l in frontend if l.startswith("acl ")]
    denied = any(
        _condition(l.split(" if ", 1)[1].split(), acls, path)
        for l in frontend if l.startswith("http-request deny") and " if " in l
    )
    for line in frontend:
        if line.startswith("use_backend ") and " if " in line:
            backend, cond = line[len("use_backend "):].split(" if ", 1)
            if _condition(cond.split(), acls, path):
                return backend.strip(), denied
    default = next(l.split()[1] for l in frontend if l.startswith("default_backend"))
    return default, denied


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value).groups()
    return int(number) * {None: 0.001, "ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def promise_problems(text: str) -> list[str]:
    problems = []
    secs = sections(text)
    for path in SSE_PATHS:
        backend, denied = route(text, path)
        lines = secs.get(f"backend {backend}", [])
        timeout = next((l.split()[2] for l in reversed(lines) if l.startswith("timeout server")), None)
        if denied or timeout is None or seconds(timeout) < 600:
            problems.append(f"{path} -> backend {backend}: no server timeout of at least 10 minutes")
    if not route(text, "/metrics")[1]:
        problems.append("/metrics is not denied to clients outside the internal networks")
    if route(text, "/api/v1/tasks/")[1] or route(text, "/health")[1]:
        problems.append("the API itself is denied")
    for name, lines in secs.items():
        if name.startswith("backend"):
            if "option httpchk GET /health" not in lines:
                problems.append(f"{name}: no `option httpchk GET /health`")
            if not any(l.startswith(("server ", "server-template ")) for l in lines):
                problems.append(f"{name}: no api servers")
    return problems


def test_haproxy_accepts_the_config_without_warnings(tmp_path):
    code, output = check_with_haproxy(tmp_path, CFG.read_text())
    assert code == 0, output
    assert "[WARNING]" not in output and "[ALERT]" not in output, output


def test_config_keeps_its_promises():
    assert promise_problems(CFG.read_text()) == []


def test_haproxy_rejects_an_unknown_keyword(tmp_path):
    code, output = check_with_haproxy(tmp_path, CFG.read_text().replace("balance leastconn", "balanse leastconn"))
    assert code != 0 and "balanse" in output


def test_promises_catch_short_stream_timeouts_and_open_metrics():
    text = CFG.read_text().replace("timeout server 1h", "timeout server 50s")
    text = text.replace("http-request deny deny_status 403 if metrics_path !internal_net", "")
    problems = "\n".join(promise_problems(text))
    assert "/api/v1/events -> backend scheduler_sse_backend: no server timeout" in problems
    assert "/metrics is not denied" in problems
