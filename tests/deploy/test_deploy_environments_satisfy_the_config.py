"""The environment each deployment gives each role is enough for the configuration it loads:
config/production.toml for the control plane (compose, Kubernetes, systemd) and
deploy/config/worker.toml for workers and Flower, which get the broker and nothing else.
Loaded with the project's own loader (scheduler_project.config), so a new required ${VAR} in a
config file that a deployment does not provide fails here."""

from __future__ import annotations

from tests.deploy._environments import compose_env, env_file, k8s_env
from tests.deploy._tools import DEPLOY, ROOT, require_module

IMAGE_ROOT = "/app/"  # WORKDIR of deploy/Dockerfile


def load(env: dict[str, str]):
    require_module("pydantic")
    from scheduler_project.config import load_config

    env = dict(env)
    if env.get("TASKPLANE_CONFIG", "").startswith(IMAGE_ROOT):
        env["TASKPLANE_CONFIG"] = str(ROOT / env["TASKPLANE_CONFIG"][len(IMAGE_ROOT):])
    return load_config(env=env)


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


IMAGE_ENV = {"ENVIRONMENT": "production", "LOG_FORMAT": "json"}  # deploy/Dockerfile's ENV


def problems_for(env: dict[str, str], roles) -> list[str]:
    """What the system checks of `serve --mode ROLE` would report: errors stop the container;
    W002 is a worker holding database credentials."""
    from django.core.checks import ERROR

    from scheduler_project.checks import configuration_messages

    config = load({**IMAGE_ENV, **env})
    return [f"{m.id}: {m.msg}" for m in configuration_messages(config, roles)
            if m.level >= ERROR or m.id == "taskplane.W002"]


def test_every_role_of_every_deployment_passes_its_own_system_checks():
    for service, role in (("api", "api"), ("dispatcher", "dispatcher"), ("control", "control"),
                          ("worker-1", "worker"), ("worker-2", "worker"), ("flower", "flower")):
        assert problems_for(compose_env(service), {role}) == [], f"compose {service}"
    assert problems_for(compose_env("migrate"), {"api", "dispatcher", "control"}) == [], "compose migrate"
    for role in ("api", "dispatcher", "control", "worker"):
        assert problems_for(k8s_env(f"scheduler-{role}"), {role}) == [], f"k8s scheduler-{role}"
    systemd = env_file(DEPLOY / "systemd" / "env.example")
    for role in ("api", "dispatcher", "control"):
        assert problems_for(systemd, {role}) == [], f"systemd taskplane-{role}"
    assert problems_for(systemd_worker_env(), {"worker"}) == [], "systemd taskplane-worker@"


def systemd_worker_env() -> dict[str, str]:
    """A worker-only host: the broker variables of env.example, and what the unit sets itself."""
    unit = (DEPLOY / "systemd" / "taskplane-worker@.service").read_text()
    env = {k: v for k, v in env_file(DEPLOY / "systemd" / "env.example").items()
           if k in ("ENVIRONMENT", "LOG_FORMAT", "MESSAGE_QUEUE_TYPE", "MESSAGE_QUEUE_URL")}
    for line in unit.splitlines():
        if line.startswith("Environment="):
            for pair in line[len("Environment="):].split():
                key, _, value = pair.partition("=")
                env[key] = value.replace("%i", "node1-1").replace("/opt/taskplane/", str(ROOT) + "/")
    return env


def test_a_worker_is_judged_as_a_worker_and_would_fail_as_the_control_plane():
    """The checks above are not vacuous: the same worker environment fails as a control-plane role."""
    problems = "\n".join(problems_for(compose_env("worker-1"), {"api"}))
    assert "taskplane.E002" in problems and "taskplane.E003" in problems
