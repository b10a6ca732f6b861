"""docker-compose.yml / docker-compose.dev.yml, checked structurally (no Docker engine here):
dependencies, build contexts, mounted files, named volumes, profiles, and every ${VAR} documented
in deploy/.env.example; plus the services and wiring the deployment promises."""

from __future__ import annotations

import re
from pathlib import Path

from tests.deploy._tools import DEPLOY, load_yaml

COMPOSE = DEPLOY / "docker-compose.yml"
COMPOSE_DEV = DEPLOY / "docker-compose.dev.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
KNOWN_PROFILES = {"monitoring"}
TOP_LEVEL = {"name", "services", "volumes", "networks", "configs", "secrets"}
# $$ is a literal dollar; $VAR, ${VAR}, ${VAR:-x}, ${VAR-x}, ${VAR:?msg}, ${VAR?msg}
VAR_RE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def variables_used(data) -> set[str]:
    found = set()
    for text in strings(data):
        for match in VAR_RE.finditer(text):
            name = match.group(1) or match.group(2)
            if name:
                found.add(name)
    return found


def documented_variables(env_example: Path) -> set[str]:
    names = set()
    for line in env_example.read_text().splitlines():
        match = re.match(r"^\s*#?\s*([A-Za-z_][A-Za-z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def _depends_on(service: dict) -> list[str]:
    deps = service.get("depends_on") or []
    return list(deps) if isinstance(deps, (list, dict)) else []


def _volume_source(entry) -> tuple[str, str] | None:
    """(kind, source) of a service volume: kind 'bind' or 'volume'; None for anonymous volumes."""
    if isinstance(entry, dict):
        return entry.get("type", "volume"), entry.get("source", "")
    parts = str(entry).split(":")
    if len(parts) == 1:
        return None
    source = parts[0]
    return ("bind" if source.startswith((".", "/", "~")) else "volume"), source


def compose_problems(path: Path, env_example: Path | None = None) -> list[str]:
    """Everything wrong with one compose file; an empty list when it is consistent."""
    base = path.parent
    data = load_yaml(path)
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return [f"{path.name}: no services mapping"]
    for key in data:
        if key not in TOP_LEVEL and not str(key).startswith("x-"):
            problems.append(f"unknown top-level key {key!r}")
    services: dict = data["services"]
    declared_volumes = set((data.get("volumes") or {}).keys())

    for name, svc in services.items():
        where = f"service {name}"
        if not isinstance(svc, dict):
            problems.append(f"{where}: not a mapping")
            continue
        if "image" not in svc and "build" not in svc:
            problems.append(f"{where}: neither image nor build")
        for dep in _depends_on(svc):
            if dep not in services:
                problems.append(f"{where}: depends_on unknown service {dep!r}")
        build = svc.get("build")
        if build is not None:
            context = base / (build if isinstance(build, str) else build.get("context", "."))
            if not context.is_dir():
                problems.append(f"{where}: build context {context} does not exist")
            elif isinstance(build, dict) and "dockerfile" in build and not (context / build["dockerfile"]).is_file():
                problems.append(f"{where}: Dockerfile {context / build['dockerfile']} does not exist")
        for entry in svc.get("volumes") or []:
            source = _volume_source(entry)
            if source is None:
                continue
            kind, src = source
            if kind == "bind" and not (base / src).expanduser().exists():
                problems.append(f"{where}: mounted file {src} does not exist (relative to {base})")
            if kind == "volume" and src not in declared_volumes:
                problems.append(f"{where}: named volume {src!r} is not declared under volumes:")
        for env_file in [svc["env_file"]] if isinstance(svc.get("env_file"), str) else svc.get("env_file") or []:
            env_path = env_file if isinstance(env_file, str) else env_file.get("path", "")
            if not (base / env_path).is_file():
                problems.append(f"{where}: env_file {env_path} does not exist")
        for profile in svc.get("profiles") or []:
            if profile not in KNOWN_PROFILES:
                problems.append(f"{where}: unknown profile {profile!r} (known: {sorted(KNOWN_PROFILES)})")
        if (svc.get("deploy") or {}).get("replicas", 1) != 1:
            if "container_name" in svc:
                problems.append(f"{where}: scaled service with a fixed container_name")
            for port in svc.get("ports") or []:
                if ":" in str(port):
                    problems.append(f"{where}: scaled service publishes fixed host port {port}")

    used = variables_used(data)
    if used:
        if env_example is None or not env_example.is_file():
            problems.append(f"variables {sorted(used)} used but no .env.example documents them")
        else:
            for var in sorted(used - documented_variables(env_example)):
                problems.append(f"${{{var}}} is used but not documented in {env_example.name}")
    return problems


# ---- the real files ----

def test_compose_file_is_consistent():
    assert compose_problems(COMPOSE, ENV_EXAMPLE) == []


def test_dev_compose_file_is_consistent_and_has_the_dependencies_only():
    assert compose_problems(COMPOSE_DEV, ENV_EXAMPLE) == []
    assert set(load_yaml(COMPOSE_DEV)["services"]) == {"postgres", "rabbitmq", "redis"}


def test_compose_runs_every_role_from_one_image():
    services = load_yaml(COMPOSE)["services"]
    for needed in ("postgres", "rabbitmq", "redis", "api", "dispatcher", "control",
                   "worker-1", "worker-2", "flower", "prometheus", "grafana"):
        assert needed in services, needed
    app = [n for n, s in services.items() if "build" in s]
    assert {"api", "dispatcher", "control", "worker-1", "worker-2", "flower"} <= set(app)
    roles = [n for n in app if n != "flower"]
    assert len({(services[n]["image"], str(services[n]["build"])) for n in roles}) == 1, "one image for every role"
    # Flower: the same Dockerfile's `flower` target (the runtime plus Flower), so workers never carry it.
    assert services["flower"]["build"] == {**services["api"]["build"], "target": "flower"}
    assert services["flower"]["image"] != services["api"]["image"]
    assert services["api"]["command"] == ["serve", "--mode", "api"]
    assert services["dispatcher"]["command"] == ["serve", "--mode", "dispatcher"]
    assert services["control"]["command"] == ["serve", "--mode", "control"]
    assert "container_name" not in services["api"] and not services["api"].get("ports"), "api must scale"


def test_workers_have_an_id_and_no_database_credentials():
    services = load_yaml(COMPOSE)["services"]
    for name in ("worker-1", "worker-2"):
        env = services[name]["environment"]
        assert env["WORKER_ID"] == name
        assert "--worker-id" in services[name]["command"]
        assert "DATABASE_URL" not in env and "REDIS_URL" not in env, f"{name} must hold broker credentials only"
        assert "MESSAGE_QUEUE_URL" in env


def test_flower_has_basic_auth_and_monitoring_is_a_profile():
    services = load_yaml(COMPOSE)["services"]
    flower = services["flower"]
    assert flower["entrypoint"] == ["celery", "-A", "scheduler_project"]
    assert any(a.startswith("--basic-auth=${FLOWER_USER") and "${FLOWER_PASSWORD" in a for a in flower["command"])
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
    mounts = " ".join(services["prometheus"]["volumes"])
    assert "./monitoring/prometheus.yml:" in mounts and "./monitoring/alerts.yml:" in mounts


# ---- the checker catches broken files ----

def _write(tmp_path: Path, text: str, env: str = "") -> tuple[Path, Path]:
    compose = tmp_path / "docker-compose.yml"
    compose.write_text(text)
    example = tmp_path / ".env.example"
    example.write_text(env)
    return compose, example


def test_checker_rejects_unknown_dependency_missing_files_and_undocumented_variables(tmp_path):
    compose, example = _write(tmp_path, """
services:
  api:
    build: {context: ., dockerfile: Nope.Dockerfile}
    depends_on: [db]
    environment: {URL: "postgresql://u:${DB_PASSWORD}@db/x", LITERAL: "$$HOME"}
    volumes: ["./missing.yml:/etc/x.yml:ro", "data:/data"]
    profiles: [metrics]
    deploy: {replicas: 2}
    container_name: api
""", env="OTHER=1\n")
    problems = "\n".join(compose_problems(compose, example))
    assert "depends_on unknown service 'db'" in problems
    assert "Nope.Dockerfile does not exist" in problems
    assert "mounted file ./missing.yml does not exist" in problems
    assert "named volume 'data' is not declared" in problems
    assert "unknown profile 'metrics'" in problems
    assert "${DB_PASSWORD} is used but not documented" in problems
    assert "HOME" not in problems, "$$ is a literal dollar, not a variable"
    assert "fixed container_name" in problems


def test_checker_accepts_a_consistent_file(tmp_path):
    (tmp_path / "conf.yml").write_text("a: 1\n")
    compose, example = _write(tmp_path, """
name: demo
x-app: &app {image: "demo:${TAG:-latest}"}
services:
  db: {image: postgres}
  api:
    <<: *app
    depends_on: {db: {condition: service_started}}
    volumes: ["./conf.yml:/conf.yml:ro", "data:/data"]
    profiles: [monitoring]
volumes: {data: {}}
""", env="# image tag\nTAG=latest\n")
    assert compose_problems(compose, example) == []


# ---- the split files of the seed's distributed deployment ----

def _split_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("compose_split", DEPLOY / "compose-split.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_split_compose_files_are_generated_from_the_full_one():
    for path, text in _split_module().targets().items():
        assert path.is_file() and path.read_text() == text, (
            f"deploy/{path.name} is stale: run `python deploy/compose-split.py`")


def test_split_compose_files_are_consistent_and_cover_the_stack():
    full = load_yaml(COMPOSE)
    seen: list[str] = []
    for part in ("infrastructure", "scheduler", "api", "workers"):
        path = DEPLOY / f"docker-compose.{part}.yml"
        assert compose_problems(path, ENV_EXAMPLE) == [], part
        data = load_yaml(path)
        assert data["name"] == full["name"], "one project: the services share a network and volumes"
        for name, service in data["services"].items():
            expected = {k: v for k, v in full["services"][name].items() if k != "depends_on"}
            assert {k: v for k, v in service.items() if k != "depends_on"} == expected, name
        seen += list(data["services"])
    unprofiled = {n for n, s in full["services"].items() if not s.get("profiles")}
    assert sorted(seen) == sorted(unprofiled), "every service but monitoring is in exactly one split file"


def test_wait_for_db_is_where_the_guide_runs_it():
    script = DEPLOY / "scripts" / "wait-for-db.sh"
    assert script.is_file() and script.stat().st_mode & 0o111, "deploy/scripts/wait-for-db.sh must be executable"
    text = script.read_text()
    assert "docker-compose.infrastructure.yml" in text and "--url" in text and "--timeout" in text
