"""The Grafana dashboard and the alert rules query only metrics Taskplane exports (or the
documented node-exporter), so no panel silently shows "No data" after a rename; the
dashboard has the first guide's rows and is provisioned by the compose file."""

import json
import re

from prometheus_client import REGISTRY

from tests.deploy._tools import DEPLOY, load_yaml

GRAFANA = DEPLOY / "monitoring" / "grafana"
KEYWORDS = {"by", "without", "unless", "and", "or", "on", "ignoring", "bool", "offset", "group_left", "group_right",
            "inf", "nan"}
SUFFIXES = ("", "_total", "_bucket", "_sum", "_count", "_created")


def exported() -> set[str]:
    import django_prometheus.db  # noqa: F401  module-level database metrics
    from django_prometheus.middleware import Metrics

    from monitoring_app.metrics import scrape_time_collectors

    Metrics.get_instance()  # the HTTP metrics are created with the first middleware
    names = set(REGISTRY._names_to_collectors)
    from scheduler_project.health_server import RoleCollector

    # The api's scrape-time collectors, and what the other roles serve on their health port.
    for collector in [*scrape_time_collectors(), RoleCollector(None)]:
        names |= {family.name + suffix for family in collector.describe() for suffix in SUFFIXES}
    return names


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"[^"]*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    return {t for t in re.findall(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr)} - KEYWORDS


def _unknown(expressions) -> set[str]:
    known = exported()
    return {name for expr in expressions for name in metric_names(expr)
            if name not in known and name != "up" and not name.startswith("node_")}


def test_dashboard_queries_exported_metrics():
    dashboard = json.loads((GRAFANA / "taskplane.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(expressions) > 20
    assert _unknown(expressions) == set()
    assert {p["title"] for p in dashboard["panels"] if p["type"] == "row"} == {
        "System overview", "Task statistics", "Worker load", "Heartbeats and distribution", "Database"}
    assert {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p} == {"prometheus"}


def test_alerts_query_exported_metrics():
    rules = [r["expr"] for g in load_yaml(DEPLOY / "monitoring" / "alerts.yml")["groups"] for r in g["rules"]]
    assert _unknown(rules) == set()


def test_the_check_itself_notices_an_unknown_name():
    assert _unknown(['sum(max by (x) (rate(tasks_executed_totl[5m])))']) == {"tasks_executed_totl"}


def test_grafana_provisioning_is_wired_into_compose():
    datasource = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert (datasource["uid"], datasource["url"]) == ("prometheus", "http://prometheus:9090")
    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "taskplane.yml")["providers"][0]
    grafana = load_yaml(DEPLOY / "docker-compose.yml")["services"]["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"] if v.startswith("./")}
    assert mounts["/etc/grafana/provisioning"] == "./monitoring/grafana/provisioning"
    assert mounts[provider["options"]["path"] + "/taskplane.json"] == "./monitoring/grafana/taskplane.json"
