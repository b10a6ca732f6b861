"""deploy/k8s, run without a cluster: each workload's container (the migrate Job, then the api,
dispatcher, control and worker Deployments, one pod each) started from the real image exactly as
its manifest says: its `command`, the environment the kubelet would build (envFrom the ConfigMap
and the Secret, env, the pod name through fieldRef), config/production.toml mounted from the
ConfigMap at the manifest's mountPath, the pod's user. The Secret is filled in as an operator
would (secret.yaml holds placeholders) and its service URLs point at this machine's servers;
on the host network each role's HEALTH_PORT moves to a free port.

Then every liveness and readiness probe of the manifests answers 200, a shell task created
through the api pod runs to `succeeded` on the worker pod, and every pod stops cleanly within its
terminationGracePeriodSeconds.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from pathlib import Path

from tests.containers.engine import free_port, http, log, run_container, wait_for
from tests.containers.stack import Api, exercise
from tests.deploy._environments import k8s_container, k8s_documents, k8s_env

WORKLOADS = [("Deployment", "scheduler-api"), ("Deployment", "scheduler-dispatcher"),
             ("Deployment", "scheduler-control"), ("Deployment", "scheduler-worker")]


def filled_documents(host_services, api_key: str) -> dict:
    docs = k8s_documents()
    secret = docs[("Secret", "scheduler-secrets")]["stringData"]
    for key in list(secret):
        if key.endswith("_URL"):
            secret[key] = host_services.url_for(secret[key])
    secret.update(JWT_SECRET=secrets.token_hex(32), DJANGO_SECRET_KEY=secrets.token_hex(32),
                  API_KEYS=json.dumps({api_key: ["Admin"]}))
    return docs


def start(docker, image, docs, kind, workload, config_dir: Path):
    spec = docs[(kind, workload)]["spec"]["template"]["spec"]
    container = k8s_container(workload, kind, docs)
    pod = f"{workload}-ct-0"
    env = k8s_env(workload, kind, pod_name=pod, docs=docs)
    health_port = None
    if "HEALTH_PORT" in env:
        health_port = free_port()
        env["HEALTH_PORT"] = str(health_port)
    mounts = []
    for mount in container.get("volumeMounts") or []:
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        data = docs[("ConfigMap", volume["configMap"]["name"])]["data"]
        path = config_dir / f"{workload}-{mount['subPath']}"
        path.write_text(data[mount["subPath"]])
        path.chmod(0o644)
        mounts.append((str(path), mount["mountPath"], "ro" if mount.get("readOnly") else "rw"))
    security = spec.get("securityContext") or {}
    user = f"{security['runAsUser']}:{security.get('runAsGroup', security['runAsUser'])}" if "runAsUser" in security else None
    started = run_container(docker, pod, image, [], env, entrypoint=container["command"], init=False, mounts=mounts,
                            user=user)
    started.health_port = health_port
    started.grace = spec.get("terminationGracePeriodSeconds", 30)
    return started, container


def probe_url(container_spec: dict, probe: str, health_port: int | None) -> str:
    """The probe's httpGet as the kubelet would call it, with the health port moved if it was."""
    get = container_spec[probe]["httpGet"]
    port = get["port"]
    if isinstance(port, str):
        port = next(p["containerPort"] for p in container_spec["ports"] if p["name"] == port)
    env = {e["name"]: e.get("value") for e in container_spec.get("env") or []}
    if health_port is not None and str(port) == env.get("HEALTH_PORT"):
        port = health_port
    return f"http://127.0.0.1:{port}{get['path']}"


def test_the_kubernetes_containers_run_a_shell_task(docker, image, host_services, api_port_free):
    api_key = "ct-" + secrets.token_hex(16)
    docs = filled_documents(host_services, api_key)
    with tempfile.TemporaryDirectory(prefix="tp-k8s-config-") as tmp:
        config_dir = Path(tmp)
        config_dir.chmod(0o755)
        migrate, _ = start(docker, image, docs, "Job", "scheduler-migrate", config_dir)
        assert migrate.wait_exit(300) == 0, migrate.logs(80)
        log("k8s: migrate Job done")

        pods, specs = {}, {}
        for kind, workload in WORKLOADS:
            pods[workload], specs[workload] = start(docker, image, docs, kind, workload, config_dir)
        for workload, pod in pods.items():
            for probe in ("readinessProbe", "livenessProbe"):
                url = probe_url(specs[workload], probe, pod.health_port)
                wait_for(lambda url=url: http("GET", url, timeout=5)[0] == 200, 180,
                         lambda w=workload, p=probe, u=url, pod=pod: f"{w}'s {p} {u}:\n{pod.logs(40)}")
        log("k8s: every probe of every pod answers 200")

        api = Api(8080, api_key)
        containers = {"scheduler-worker-ct-0" if w == "scheduler-worker" else w: p for w, p in pods.items()}
        exercise(api, containers, ["scheduler-worker-ct-0"], "k8s")
