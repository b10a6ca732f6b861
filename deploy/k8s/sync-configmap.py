#!/usr/bin/env python3
"""Regenerate the ConfigMaps that copy files kept elsewhere (no dependencies):

    python deploy/k8s/sync-configmap.py

- deploy/k8s/configmap.yaml from config/production.toml (mounted at /app/config/production.toml);
- the last document of deploy/k8s/monitoring.yaml (scheduler-prometheus-rules) from
  deploy/monitoring/alerts.yml, the rules compose's Prometheus loads too.

tests/deploy/test_k8s_manifests_validate.py fails while a copy differs from its source.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "config" / "production.toml"
TARGET = ROOT / "deploy" / "k8s" / "configmap.yaml"
ALERTS = ROOT / "deploy" / "monitoring" / "alerts.yml"
MONITORING = ROOT / "deploy" / "k8s" / "monitoring.yaml"
RULES_MARKER = "# ---- GENERATED below from deploy/monitoring/alerts.yml by deploy/k8s/sync-configmap.py ----\n"

HEADER = """\
# GENERATED from config/production.toml by deploy/k8s/sync-configmap.py: edit the .toml, then rerun.
# Mounted at /app/config/production.toml; ${VAR} placeholders are filled from scheduler-env / scheduler-secrets.
apiVersion: v1
kind: ConfigMap
metadata:
  name: scheduler-config
  namespace: scheduler
  labels:
    app.kubernetes.io/part-of: taskplane
data:
  production.toml: |
"""

RULES_HEADER = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: scheduler-prometheus-rules
  namespace: scheduler
  labels: {app: scheduler-prometheus, app.kubernetes.io/part-of: taskplane}
data:
  alerts.yml: |
"""


def _block(text: str) -> str:
    return "".join(f"    {line}".rstrip() + "\n" for line in text.splitlines())


def render(toml_text: str) -> str:
    return HEADER + _block(toml_text)


def render_monitoring(monitoring_text: str, alerts_text: str) -> str:
    """monitoring.yaml with its generated last document replaced (or added)."""
    hand_written = monitoring_text.split(RULES_MARKER, 1)[0].rstrip("\n")
    hand_written = hand_written.removesuffix("---").rstrip("\n") + "\n"
    return hand_written + "---\n" + RULES_MARKER + RULES_HEADER + _block(alerts_text)


if __name__ == "__main__":
    TARGET.write_text(render(SOURCE.read_text()))
    print(f"wrote {TARGET.relative_to(ROOT)}")
    MONITORING.write_text(render_monitoring(MONITORING.read_text(), ALERTS.read_text()))
    print(f"wrote {MONITORING.relative_to(ROOT)}")
