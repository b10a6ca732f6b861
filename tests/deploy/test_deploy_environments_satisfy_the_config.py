"""The environment each deployment gives each role is enough for the configuration it loads:
config/production.toml for the control plane (compose, Kubernetes, systemd) and
deploy/config/worker.toml for workers and Flower, which get the broker and nothing else.
Loaded with the project's own loader (scheduler_project.config), so a new required ${VAR} in a
config file that a deployment does not provide fails here."""

from __future__ import annotations

import re
from pathlib import Path

from tests.deploy._tools import DEPLOY, ROOT, load_yaml, require_module

IMAGE_ROOT = "/app/"  # WORKDIR of deploy/Dockerfile


def load(env: dict[str, str]):
    require_module("pydantic")
    from scheduler_project.config import load_config

    env = dict(env)
    if env.get("TASKPLANE_CONFIG", "").startswith(IMAGE_ROOT):
        env["TASKPLANE_CONFIG"] = str(ROOT / env["TASKPLANE_CONFIG"][len(IMAGE_ROOT):])
    return load_config(env=env)


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """docker compose interpolation of ${VAR}, ${VAR:-default}, ${VAR:?error} and $$."""
    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        current = variables.get(name, "")
        if op == ":-":
            return current or arg
        if op == ":?" and not current:
            raise AssertionError(f"${{{name}}} is required: {arg}")
        return current
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-|:\?)?([^}]*)\}", one, str(value))


def compose_env(service: str) -> dict[str, str]:
    variables = env_file(DEPLOY / ".env.example")
    env = load_yaml(DEPLOY / "docker-compose.yml")["services"][service]["environment"]
    return {k: interpolate(v, variables) for k, v in env.items()}


def k8s_env(deployment: str) -> dict[str, str]:
    docs = {(d["kind"], d["metadata"]["name"]): d
            for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml"
            for d in load_yaml(p, all_documents=True)}
    container = docs[("Deployment", deployment)]["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            env.update(docs[("ConfigMap", source["configMapRef"]["name"])]["data"])
        if "secretRef" in source:
            env.update(docs[("Secret", source["secretRef"]["name"])]["stringData"])
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "fieldRef" in item.get("valueFrom", {}):
            env[item["name"]] = f"{deployment}-5d8f9c7b4-x2x7q"
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = docs[("Secret", ref["name"])]["stringData"][ref["key"]]
    return env


def test_compose_control_plane_environment_loads_production_toml():
    for service in ("api", "dispatcher", "control", "migrate"):
        conf = load(compose_env(service))
        assert conf.environment == "production"
        assert conf.settings.database.url.startswith("postgresql://")
        assert conf.settings.api.bind_address == "0.0.0.0:8080", "containers publish the api on 8080"
        assert not conf.uses_embedded_redis(), f"{service}: must use the compose Redis and RabbitMQ"


def test_compose_workers_and_flower_load_the_worker_config_without_a_database():
    for service in ("worker-1", "worker-2", "flower"):
        env = compose_env(service)
        assert not {"DATABASE_URL", "REDIS_URL", "JWT_SECRET"} & set(env)
        conf = load(env)
        assert conf.settings.database.url == "" and conf.broker_url.startswith("amqp://")
        assert not conf.uses_embedded_redis(["worker"]), f"{service}: a worker node needs only the broker"
    assert load(compose_env("worker-2")).worker_id == "worker-2"


def test_kubernetes_environments_load():
    for deployment in ("scheduler-api", "scheduler-control", "scheduler-dispatcher"):
        conf = load(k8s_env(deployment))
        assert conf.environment == "production" and conf.instance_id.startswith(deployment)
    worker = load(k8s_env("scheduler-worker"))
    assert worker.settings.database.url == "" and worker.worker_id.startswith("scheduler-worker-")


def test_systemd_environment_file_loads_production_toml():
    conf = load(env_file(DEPLOY / "systemd" / "env.example"))
    assert conf.environment == "production" and conf.instance_id == "scheduler-1"
    worker_env = {k: v for k, v in env_file(DEPLOY / "systemd" / "env.example").items()
                  if k in ("LOG_FORMAT", "MESSAGE_QUEUE_TYPE", "MESSAGE_QUEUE_URL")}
    worker_env.update(WORKER_ID="node1-1", TASKPLANE_CONFIG=str(DEPLOY / "config" / "worker.toml"))
    assert load(worker_env).worker_id == "node1-1"


def test_a_missing_required_variable_is_caught():
    require_module("pydantic")
    from scheduler_project.config import ConfigError

    env = compose_env("api")
    del env["FRONTEND_URL"]
    try:
        load(env)
    except ConfigError as exc:
        assert "FRONTEND_URL" in str(exc)
    else:
        raise AssertionError("production.toml requires FRONTEND_URL")
