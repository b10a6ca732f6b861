"""The environment each deployment gives each role, read from the deployment files themselves:
deploy/docker-compose.yml (interpolated as docker compose does), the Kubernetes manifests
(envFrom ConfigMaps and Secrets, env, fieldRefs) and the systemd environment file. Shared by the
static checks (tests/deploy) and the container test (tests/containers), which starts the real
image with these environments."""

from __future__ import annotations

import re
from pathlib import Path

from tests.deploy._tools import DEPLOY, load_yaml

COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"


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


def compose_service(service: str, variables: dict[str, str] | None = None) -> dict:
    """One service of docker-compose.yml, every string interpolated with `variables` (default:
    deploy/.env.example)."""
    variables = env_file(DEPLOY / ".env.example") if variables is None else variables

    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return interpolate(node, variables) if isinstance(node, str) else node

    return walk(load_yaml(COMPOSE)["services"][service])


def compose_env(service: str, variables: dict[str, str] | None = None) -> dict[str, str]:
    return {k: str(v) for k, v in (compose_service(service, variables).get("environment") or {}).items()}


def k8s_documents(directory: Path = K8S) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d
            for p in sorted(directory.glob("*.yaml")) if p.name != "kustomization.yaml"
            for d in load_yaml(p, all_documents=True)}


def k8s_container(workload: str, kind: str = "Deployment", docs: dict | None = None) -> dict:
    docs = k8s_documents() if docs is None else docs
    return docs[(kind, workload)]["spec"]["template"]["spec"]["containers"][0]


def k8s_env(workload: str, kind: str = "Deployment", pod_name: str | None = None,
            docs: dict | None = None) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom first, then env; a fieldRef
    to metadata.name is the pod name."""
    docs = k8s_documents() if docs is None else docs
    container = k8s_container(workload, kind, docs)
    pod_name = pod_name or f"{workload}-5d8f9c7b4-x2x7q"
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            env.update(docs[("ConfigMap", source["configMapRef"]["name"])]["data"])
        if "secretRef" in source:
            env.update(docs[("Secret", source["secretRef"]["name"])]["stringData"])
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "fieldRef" in item.get("valueFrom", {}):
            assert item["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name", item
            env[item["name"]] = pod_name
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = docs[("Secret", ref["name"])]["stringData"][ref["key"]]
        elif "configMapKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["configMapKeyRef"]
            env[item["name"]] = docs[("ConfigMap", ref["name"])]["data"][ref["key"]]
    return env
