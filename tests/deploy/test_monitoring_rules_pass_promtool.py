"""deploy/monitoring: `promtool check config` and `promtool check rules` pass, and the alert
unit tests (`promtool test rules alerts.test.yml`) show each alert firing on its data. The
rules cover both deployment guides' alerts."""

from tests.deploy._tools import DEPLOY, load_yaml, require_tool, run

MONITORING = DEPLOY / "monitoring"


def test_prometheus_config_is_valid():
    result = run([require_tool("promtool"), "check", "config", "prometheus.yml"], cwd=MONITORING)
    assert result.returncode == 0, result.stdout
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_alert_rules_are_valid_and_fire_on_their_data():
    promtool = require_tool("promtool")
    result = run([promtool, "check", "rules", "alerts.yml"], cwd=MONITORING)
    assert result.returncode == 0, result.stdout
    result = run([promtool, "test", "rules", "alerts.test.yml"], cwd=MONITORING)
    assert result.returncode == 0, result.stdout


def test_the_guides_alerts_are_all_there():
    rules = {r["alert"]: r for g in load_yaml(MONITORING / "alerts.yml")["groups"] for r in g["rules"]}
    assert {"HighTaskFailureRate", "WorkerNodeDown", "RedisOperationErrors", "RedisUnreachable", "InboxPendingHigh",
            "DeadLetterQueueHigh", "InstancePresenceLost", "NodeSelectionFailureRateHigh"} <= set(rules)
    assert "rate(scheduler_task_failures_total[5m])" in rules["HighTaskFailureRate"]["expr"]
    assert "> 0.1" in rules["HighTaskFailureRate"]["expr"]
    assert 'scheduler_phase2_redis_op_total{result="err"}' in rules["RedisOperationErrors"]["expr"]
    assert "> 1000" in rules["InboxPendingHigh"]["expr"] and "> 100" in rules["DeadLetterQueueHigh"]["expr"]
    assert rules["InstancePresenceLost"]["for"] == "1m" and "> 0.05" in rules["NodeSelectionFailureRateHigh"]["expr"]
    cases = load_yaml(MONITORING / "alerts.test.yml")["tests"]
    tested = {t["alertname"] for case in cases for t in case["alert_rule_test"]}
    assert {"HighTaskFailureRate", "WorkerNodeDown", "InboxPendingHigh", "InstancePresenceLost",
            "NodeSelectionFailureRateHigh", "RedisOperationErrors"} <= tested


def test_alertmanager_is_configured_and_wired_into_prometheus():
    """deploy/monitoring/alertmanager.yml passes `amtool check-config`, keeps the guide's route and
    web.hook receiver, and Prometheus sends its alerts to the compose service that mounts it."""
    result = run([require_tool("amtool"), "check-config", "alertmanager.yml"], cwd=MONITORING)
    assert result.returncode == 0, result.stdout
    config = load_yaml(MONITORING / "alertmanager.yml")
    assert config["route"]["receiver"] == "web.hook" and config["route"]["group_by"] == ["alertname"]
    (receiver,) = [r for r in config["receivers"] if r["name"] == "web.hook"]
    assert receiver["webhook_configs"][0]["url"].startswith("http")
    targets = load_yaml(MONITORING / "prometheus.yml")["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
    service = load_yaml(DEPLOY / "docker-compose.yml")["services"]["alertmanager"]
    assert service["profiles"] == ["monitoring"]
    assert "./monitoring/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" in service["volumes"]
