"""deploy/k8s: every manifest validates (strict) against the Kubernetes 1.30 schemas shipped by
kubernetes-validate (offline), and the deployment promises hold: probes, resources, INSTANCE_ID
from the pod name, PodDisruptionBudgets, an api Service, the ConfigMaps matching
config/production.toml and deploy/monitoring/alerts.yml, workers without database credentials,
the seed's database / rabbitmq / monitoring manifests (and Redis), and Prometheus scraping every
role that has metrics. (`make container-test` runs the Taskplane containers as written here.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.deploy._tools import DEPLOY, ROOT, load_yaml, require_module

K8S = DEPLOY / "k8s"
K8S_VERSION = "1.30.0"
NAMESPACE = "scheduler"
NOT_RESOURCES = {"kustomization.yaml"}
NO_PROBE_ANNOTATION = "taskplane.io/no-probe-reason"


def manifests(directory: Path = K8S) -> list[tuple[str, dict]]:
    return [(p.name, doc) for p in sorted(directory.glob("*.yaml")) if p.name not in NOT_RESOURCES
            for doc in load_yaml(p, all_documents=True)]


def schema_problems(docs: list[tuple[str, dict]], version: str = K8S_VERSION) -> list[str]:
    require_module("kubernetes_validate")
    from kubernetes_validate import utils

    problems = []
    for name, doc in docs:
        what = f"{name}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        try:
            utils.validate(doc, version, strict=True)
        except utils.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            problems.append(f"{what}: {path}: {exc.message}")
        except utils.SchemaNotFoundError as exc:
            problems.append(f"{what}: {exc.message}")
    return problems


def _pod_spec(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def policy_problems(docs: list[tuple[str, dict]]) -> list[str]:
    problems = []
    by_kind: dict[str, list[dict]] = {}
    for name, doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
        if doc["kind"] != "Namespace" and doc["metadata"].get("namespace") != NAMESPACE:
            problems.append(f"{name}: {doc['kind']}/{doc['metadata']['name']} is not in namespace {NAMESPACE}")
    pdb_selectors = [d["spec"]["selector"]["matchLabels"] for d in by_kind.get("PodDisruptionBudget", [])]
    for dep in by_kind.get("Deployment", []) + by_kind.get("StatefulSet", []):
        name = dep["metadata"]["name"]
        labels = dep["spec"]["template"]["metadata"]["labels"]
        annotations = dep["spec"]["template"]["metadata"].get("annotations") or {}
        if not any(all(labels.get(k) == v for k, v in sel.items()) for sel in pdb_selectors):
            problems.append(f"Deployment {name}: no PodDisruptionBudget selects its pods")
        for c in _pod_spec(dep)["containers"]:
            where = f"Deployment {name} container {c['name']}"
            if NO_PROBE_ANNOTATION not in annotations:
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in c:
                        problems.append(f"{where}: no {probe} (or {NO_PROBE_ANNOTATION} annotation)")
            res = c.get("resources") or {}
            if not (res.get("requests") and res.get("limits")):
                problems.append(f"{where}: resources need requests and limits")
            if not c["image"].startswith("taskplane:"):
                continue  # PostgreSQL, RabbitMQ, Redis, Prometheus: no Taskplane instance
            env = {e["name"]: e for e in c.get("env") or []}
            field = ((env.get("INSTANCE_ID") or {}).get("valueFrom") or {}).get("fieldRef") or {}
            if field.get("fieldPath") != "metadata.name":
                problems.append(f"{where}: INSTANCE_ID is not the pod name (fieldRef metadata.name)")
    return problems


def reference_problems(docs: list[tuple[str, dict]]) -> list[str]:
    """Every ConfigMap / Secret (and Secret key) a pod uses is defined in the manifests."""
    configmaps = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "ConfigMap"}
    secrets = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "Secret"}
    problems = []
    for name, doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job"):
            continue
        spec = _pod_spec(doc)
        for vol in spec.get("volumes") or []:
            if "configMap" in vol and vol["configMap"]["name"] not in configmaps:
                problems.append(f"{name}: volume uses unknown ConfigMap {vol['configMap']['name']}")
        for c in spec["containers"]:
            for src in c.get("envFrom") or []:
                if "configMapRef" in src and src["configMapRef"]["name"] not in configmaps:
                    problems.append(f"{name}: envFrom unknown ConfigMap {src['configMapRef']['name']}")
                if "secretRef" in src and src["secretRef"]["name"] not in secrets:
                    problems.append(f"{name}: envFrom unknown Secret {src['secretRef']['name']}")
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    secret = secrets.get(ref["name"])
                    if not secret or ref["key"] not in (secret.get("stringData") or secret.get("data") or {}):
                        problems.append(f"{name}: env {e['name']} uses unknown secret key {ref['name']}/{ref['key']}")
    return problems


# ---- the real manifests ----

def test_every_manifest_validates_against_the_kubernetes_schemas():
    docs = manifests()
    assert {d["kind"] for _, d in docs} >= {"Namespace", "ConfigMap", "Secret", "Deployment", "Service",
                                           "PodDisruptionBudget", "Job", "StatefulSet", "Role", "RoleBinding",
                                           "ServiceAccount"}
    assert schema_problems(docs) == []


def test_deployments_have_probes_resources_instance_id_and_pdbs():
    assert policy_problems(manifests()) == []


def test_every_configmap_and_secret_reference_resolves():
    assert reference_problems(manifests()) == []


def test_api_has_three_replicas_http_probes_and_a_service():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in manifests()}
    api = docs[("Deployment", "scheduler-api")]
    assert api["spec"]["replicas"] == 3
    container = _pod_spec(api)["containers"][0]
    assert container["command"] == ["python", "manage.py", "serve", "--mode", "api"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert (mount["mountPath"], mount["subPath"]) == ("/app/config/production.toml", "production.toml")
    service = docs[("Service", "scheduler-api")]
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
    for name, mode in (("scheduler-control", "control"), ("scheduler-dispatcher", "dispatcher"),
                       ("scheduler-worker", "worker")):
        assert _pod_spec(docs[("Deployment", name)])["containers"][0]["command"][-1] == mode


def test_every_role_is_probed_on_its_health_endpoint():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in manifests()}
    for role in ("control", "worker", "dispatcher"):
        container = _pod_spec(docs[("Deployment", f"scheduler-{role}")])["containers"][0]
        assert {"name": "HEALTH_PORT", "value": "8081"} in container["env"], role
        assert {"name": "health", "containerPort": 8081} in container["ports"], role
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"] == {"path": "/health", "port": "health"}, (role, probe)


def test_workers_get_the_broker_only():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in manifests()}
    worker = _pod_spec(docs[("Deployment", "scheduler-worker")])["containers"][0]
    names = {e["name"] for e in worker["env"]}
    assert "envFrom" not in worker and "DATABASE_URL" not in names and "REDIS_URL" not in names
    assert {"MESSAGE_QUEUE_URL", "WORKER_ID", "TASKPLANE_CONFIG"} <= names
    assert {"name": "HEALTH_PORT", "value": "8081"} in worker["env"]


def test_secret_template_has_every_variable_with_placeholders():
    secret = load_yaml(K8S / "secret.yaml")["stringData"]
    assert set(secret) >= {"DATABASE_URL", "MESSAGE_QUEUE_URL", "REDIS_URL", "JWT_SECRET", "API_KEYS"}
    assert "change-me" in secret["JWT_SECRET"]


def test_kustomization_lists_every_manifest_but_the_secret_and_the_job():
    listed = set(load_yaml(K8S / "kustomization.yaml")["resources"])
    files = {p.name for p in K8S.glob("*.yaml")} - NOT_RESOURCES
    assert listed == files - {"secret.yaml", "migrate-job.yaml"}


def test_configmap_is_config_production_toml():
    spec = importlib.util.spec_from_file_location("sync_configmap", K8S / "sync-configmap.py")
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    expected = sync.render((ROOT / "config" / "production.toml").read_text())
    assert (K8S / "configmap.yaml").read_text() == expected, (
        "deploy/k8s/configmap.yaml is stale: run `python deploy/k8s/sync-configmap.py`"
    )
    data = load_yaml(K8S / "configmap.yaml")["data"]["production.toml"]
    assert "[database]" in data and "${DATABASE_URL}" in data
    monitoring = (K8S / "monitoring.yaml").read_text()
    assert monitoring == sync.render_monitoring(monitoring, (DEPLOY / "monitoring" / "alerts.yml").read_text()), (
        "deploy/k8s/monitoring.yaml's rules are stale: run `python deploy/k8s/sync-configmap.py`"
    )


def test_the_seeds_apply_list_exists_with_probes_resources_and_pdbs():
    """kubectl apply -f k8s/database.yaml, k8s/rabbitmq.yaml, ..., k8s/monitoring.yaml (from deploy/)."""
    docs = {(d["kind"], d["metadata"]["name"]): (name, d) for name, d in manifests()}
    for file, workload in (("database.yaml", "scheduler-postgres"), ("rabbitmq.yaml", "scheduler-rabbitmq"),
                           ("redis.yaml", "scheduler-redis"), ("monitoring.yaml", "scheduler-prometheus")):
        name, sts = docs[("StatefulSet", workload)]
        assert name == file, (workload, name)
        assert ("Service", workload) in docs and ("PodDisruptionBudget", workload) in docs, workload
        assert sts["spec"]["volumeClaimTemplates"], f"{workload} keeps its data on a persistent volume"
    for file in ("api.yaml", "dispatcher.yaml", "worker.yaml"):
        assert (K8S / file).is_file()
    # The Secret's URLs name the in-cluster services, whose passwords come from the same Secret.
    secret = load_yaml(K8S / "secret.yaml")["stringData"]
    assert "@scheduler-postgres:5432/" in secret["DATABASE_URL"]
    assert "@scheduler-rabbitmq:5672/" in secret["MESSAGE_QUEUE_URL"]
    assert secret["REDIS_URL"].startswith("redis://scheduler-redis:6379/")
    assert {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"} <= set(secret)


def test_prometheus_scrapes_every_role_that_has_metrics():
    """Each Taskplane pod is annotated for the pod discovery of monitoring.yaml, on the port that
    serves its /metrics, with the job names the alert rules use."""
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in manifests()}
    expected = {"scheduler-api": ("8080", "scheduler-api"), "scheduler-dispatcher": ("8081", "scheduler-dispatcher"),
                "scheduler-control": ("8081", "scheduler-control"), "scheduler-worker": ("8081", "scheduler-workers")}
    for name, (port, job) in expected.items():
        template = docs[("Deployment", name)]["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
        assert (annotations["prometheus.io/port"], annotations["prometheus.io/job"]) == (port, job), name
        container = template["spec"]["containers"][0]
        ports = {str(p["containerPort"]) for p in container.get("ports") or []}
        assert port in ports, f"{name} does not expose {port}"
        if port == "8081":
            assert {"name": "HEALTH_PORT", "value": port} in container["env"], name
    config = load_yaml(K8S / "monitoring.yaml", all_documents=True)
    prometheus = yaml_data(config, "ConfigMap", "scheduler-prometheus-config")["prometheus.yml"]
    rules = yaml_data(config, "ConfigMap", "scheduler-prometheus-rules")["alerts.yml"]
    assert "__meta_kubernetes_pod_annotation_prometheus_io_job" in prometheus
    assert 'job="scheduler-api"' in rules and "scheduler-(dispatcher|control|workers)" in rules


def yaml_data(docs: list[dict], kind: str, name: str) -> dict:
    return next(d["data"] for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def test_the_k8s_prometheus_config_passes_promtool(tmp_path):
    """Debian's promtool is built without Kubernetes discovery: the pod discovery is swapped for
    a static target, and everything else (relabelling, rule files, the rules) is checked."""
    import yaml

    from tests.deploy._tools import require_tool, run

    docs = load_yaml(K8S / "monitoring.yaml", all_documents=True)
    config = yaml.safe_load(yaml_data(docs, "ConfigMap", "scheduler-prometheus-config")["prometheus.yml"])
    for job in config["scrape_configs"]:
        assert job.pop("kubernetes_sd_configs")[0]["namespaces"]["names"] == [NAMESPACE]
        job["static_configs"] = [{"targets": ["10.0.0.1:8081"]}]
    config = yaml.safe_dump(config)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "alerts.yml").write_text(yaml_data(docs, "ConfigMap", "scheduler-prometheus-rules")["alerts.yml"])
    (tmp_path / "prometheus.yml").write_text(config.replace("/etc/prometheus/rules/", "rules/"))
    result = run([require_tool("promtool"), "check", "config", "prometheus.yml"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout


# ---- the checks catch broken manifests ----

BROKEN = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: elsewhere}
spec:
  replica: 3
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      containers:
        - name: c
          image: taskplane:latest
          envFrom: [{secretRef: {name: missing-secret}}]
          livenessProbe: {httpGet: {path: /health, port: "8080"}}
"""


def test_checks_reject_a_broken_manifest(tmp_path):
    (tmp_path / "broken.yaml").write_text(BROKEN)
    docs = manifests(tmp_path)
    schema = "\n".join(schema_problems(docs))
    assert "replica" in schema, "strict validation must reject the unknown field"
    policy = "\n".join(policy_problems(docs))
    for expected in ("not in namespace scheduler", "no PodDisruptionBudget", "no readinessProbe",
                     "resources need requests and limits", "INSTANCE_ID is not the pod name"):
        assert expected in policy, expected
    assert "unknown Secret missing-secret" in "\n".join(reference_problems(docs))


def test_schema_check_rejects_an_unknown_kind(tmp_path):
    (tmp_path / "x.yaml").write_text("apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n")
    assert "Gadget" in "\n".join(schema_problems(manifests(tmp_path)))
