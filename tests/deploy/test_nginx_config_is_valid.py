"""deploy/nginx/taskplane.conf: `nginx -t` accepts it inside a minimal nginx.conf (upstream host
names rewritten to 127.0.0.1 so that they resolve here), and it keeps its promises: several api
upstreams, /metrics for internal networks only, an unbuffered long-timeout Server-Sent Events route,
/health passed through."""

from __future__ import annotations

import re
from pathlib import Path

from tests.deploy._tools import DEPLOY, require_tool, run

CONF = DEPLOY / "nginx" / "taskplane.conf"
SSE_PATHS = ["/api/v1/runs/42/events", "/api/v1/runs/7f3a/events/", "/api/v1/events"]


def runnable_conf(conf_text: str, backend_port: int = 8080, listen_port: int | None = None) -> str:
    text = re.sub(r"(\n\s*server\s+)[^\s;:]+:\d+", rf"\g<1>127.0.0.1:{backend_port}", conf_text)
    if listen_port is not None:
        text = re.sub(r"listen\s+80;", f"listen 127.0.0.1:{listen_port};", text)
    return text


def wrapper(tmp_path: Path, conf_text: str) -> Path:
    (tmp_path / "taskplane.conf").write_text(conf_text)
    main = tmp_path / "nginx.conf"
    main.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/taskplane.conf;
}}
""")
    return main


def check_with_nginx(tmp_path: Path, conf_text: str) -> tuple[int, str]:
    nginx = require_tool("nginx")
    main = wrapper(tmp_path, runnable_conf(conf_text))
    result = run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)], timeout=30)
    return result.returncode, result.stdout


def blocks(text: str, keyword: str) -> dict[str, str]:
    """{arguments: body} of every `keyword args { body }` block (nested braces matched)."""
    found = {}
    for match in re.finditer(rf"(?m)^\s*{keyword}\s+([^{{;]*?)\s*{{", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found[match.group(1)] = text[match.end(): i - 1]
    return found


def location_for(text: str, path: str) -> tuple[str, str]:
    """The location nginx picks for `path` (exact, then regex in order, then longest prefix)."""
    locations = blocks(text, "location")
    for args, body in locations.items():
        if args.startswith("= ") and args[2:] == path:
            return args, body
    for args, body in locations.items():
        if args.startswith("~ ") and re.search(args[2:].strip(), path):
            return args, body
    prefixes = [(a, b) for a, b in locations.items() if not a.startswith(("=", "~")) and path.startswith(a)]
    return max(prefixes, key=lambda ab: len(ab[0]))


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smhd]?)", value).groups()
    return int(number) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def promise_problems(text: str) -> list[str]:
    problems = []
    upstreams = blocks(text, "upstream")
    servers = [l for body in upstreams.values() for l in body.splitlines() if re.match(r"\s*server\s", l)]
    if len(servers) < 2:
        problems.append("fewer than two api servers upstream")
    server_body = next(iter(blocks(text, "server").values()), "")
    for path in SSE_PATHS:
        args, body = location_for(text, path)
        if "proxy_buffering off;" not in body:
            problems.append(f"{path} (location {args}): proxy_buffering is not off")
        timeout = re.search(r"proxy_read_timeout\s+(\w+);", body)
        if not timeout or seconds(timeout.group(1)) < 600:
            problems.append(f"{path} (location {args}): proxy_read_timeout below 10 minutes")
        if "proxy_http_version 1.1;" not in body and "proxy_http_version 1.1;" not in server_body:
            problems.append(f"{path}: proxy_http_version is not 1.1")
    args, body = location_for(text, "/metrics")
    if "deny all;" not in body or "allow 10.0.0.0/8;" not in body or "allow 0.0.0.0/0" in body:
        problems.append(f"/metrics (location {args}) is not restricted to internal networks")
    for path in ("/health", "/api/v1/tasks/", "/metrics"):
        if "proxy_pass http://" not in location_for(text, path)[1]:
            problems.append(f"{path} is not proxied to the api")
    return problems


def test_nginx_accepts_the_config(tmp_path):
    code, output = check_with_nginx(tmp_path, CONF.read_text())
    assert code == 0, output
    assert "[warn]" not in output and "[emerg]" not in output, output


def test_config_keeps_its_promises():
    assert promise_problems(CONF.read_text()) == []


def test_nginx_rejects_a_syntax_error(tmp_path):
    code, output = check_with_nginx(tmp_path, CONF.read_text().replace("proxy_buffering off;", "proxy_bufering off;"))
    assert code != 0 and "proxy_bufering" in output


def test_promises_catch_a_buffered_event_stream_and_open_metrics():
    text = CONF.read_text().replace("proxy_buffering off;", "").replace("deny all;", "")
    problems = "\n".join(promise_problems(text))
    assert "/api/v1/events (location" in problems and "proxy_buffering is not off" in problems
    assert "/metrics (location /metrics) is not restricted" in problems
