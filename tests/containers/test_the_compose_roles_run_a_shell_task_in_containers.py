"""deploy/docker-compose.yml, run for real: the image built from nothing, then migrate, api,
dispatcher, control, worker-1 and worker-2 as containers of it, each with the command,
environment and healthcheck its compose service declares. The one difference from `docker
compose up`: the postgres, rabbitmq and redis services are this machine's servers (their URLs
rewritten: HostServices.rewrite) and every container is on the host network, so each role's
HEALTH_PORT is moved to a free port of its own (api keeps 8080).

A shell task created through the api container's REST API runs to `succeeded` on a worker
container; worker-1 is drained and stopped (exit code 0, warm shutdown); the next runs go to
worker-2; every container then stops on SIGTERM with exit code 0 and no traceback in its logs.
"""

from __future__ import annotations

import json
import secrets

from tests.containers.engine import FLOWER_IMAGE, free_port, http, log, run_container, wait_for
from tests.containers.stack import Api, exercise, role_ports_answer
from tests.deploy._environments import compose_service, env_file
from tests.deploy._tools import DEPLOY

ROLES = ["api", "dispatcher", "control", "worker-1", "worker-2"]


def variables(host_services, api_key: str) -> dict[str, str]:
    """deploy/.env as an operator fills it in (the URLs are rewritten to the host's servers)."""
    values = env_file(DEPLOY / ".env.example")
    values.update(POSTGRES_DB=host_services.name, POSTGRES_PASSWORD="unused-trust-auth",
                  RABBITMQ_USER="guest", RABBITMQ_PASSWORD="guest", INSTANCE_ID="scheduler-ct",
                  JWT_SECRET=secrets.token_hex(32), DJANGO_SECRET_KEY=secrets.token_hex(32),
                  API_KEYS=json.dumps({api_key: ["Admin"]}), FLOWER_PASSWORD=secrets.token_hex(8))
    return values


def start(docker, image, host_services, values, service):
    spec = compose_service(service, values)
    env = host_services.rewrite({k: str(v) for k, v in (spec.get("environment") or {}).items()})
    health_port = None
    if "HEALTH_PORT" in env:
        health_port = free_port()
        env["HEALTH_PORT"] = str(health_port)
    healthcheck = spec.get("healthcheck")
    if healthcheck and healthcheck.get("disable"):
        healthcheck = None
    container = run_container(docker, f"compose-{service}", image, spec["command"], env,
                              entrypoint=spec.get("entrypoint"), init=spec.get("init", False),
                              healthcheck=healthcheck)
    container.health_port = health_port
    return container


def test_the_compose_roles_run_a_shell_task_in_containers(docker, image, host_services, api_port_free):
    api_key = "ct-" + secrets.token_hex(16)
    values = variables(host_services, api_key)

    migrate = start(docker, image, host_services, values, "migrate")
    assert migrate.wait_exit(300) == 0, migrate.logs(80)
    log("compose: migrate done")

    containers = {service: start(docker, image, host_services, values, service) for service in ROLES}
    api = Api(8080, api_key)
    api.wait_healthy()
    role_ports_answer(containers)
    for container in containers.values():  # the image's HEALTHCHECK (api), compose's (the others)
        container.wait_healthy(180)
    log("compose: every role is up and healthy")

    exercise(api, containers, ["worker-1", "worker-2"], "compose")


def test_flower_is_only_in_the_flower_image(engine, docker, image, base_image, pip_settings, host_services):
    flower_image = engine.build_image(docker, base_image, pip_settings, target="flower", tag=FLOWER_IMAGE)
    check = ["run", "--rm", "--network", "none", "--entrypoint", "python"]
    assert docker.docker(*check, image, "-c", "import flower", timeout=60, check=False).returncode != 0, \
        "the image of every role must not carry Flower"
    docker.docker(*check, flower_image, "-c", "import flower", timeout=60)

    spec = compose_service("flower", variables(host_services, "unused"))
    port = free_port()
    command = [f"--port={port}" if arg.startswith("--port=") else arg for arg in spec["command"]]
    env = host_services.rewrite({k: str(v) for k, v in spec["environment"].items()})
    flower = run_container(docker, "compose-flower", flower_image, command, env, entrypoint=spec["entrypoint"])
    try:
        wait_for(lambda: http("GET", f"http://127.0.0.1:{port}/", timeout=5)[0] == 401, 90,
                 lambda: f"Flower to ask for credentials:\n{flower.logs(40)}")
    finally:
        flower.stop(grace=10)
