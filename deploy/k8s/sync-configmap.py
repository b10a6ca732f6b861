#!/usr/bin/env python3
"""Regenerate deploy/k8s/configmap.yaml from config/production.toml (no dependencies).

    python deploy/k8s/sync-configmap.py

tests/deploy/test_k8s_manifests_validate.py fails while the two differ.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "config" / "production.toml"
TARGET = ROOT / "deploy" / "k8s" / "configmap.yaml"

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


def render(toml_text: str) -> str:
    body = "".join(f"    {line}".rstrip() + "\n" for line in toml_text.splitlines())
    return HEADER + body


if __name__ == "__main__":
    TARGET.write_text(render(SOURCE.read_text()))
    print(f"wrote {TARGET.relative_to(ROOT)}")
