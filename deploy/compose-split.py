#!/usr/bin/env python3
"""Regenerate the split compose files from deploy/docker-compose.yml, the one source:

    python deploy/compose-split.py

The seed's distributed deployment, from deploy/:
    docker compose -f docker-compose.infrastructure.yml up -d    # PostgreSQL, RabbitMQ, Redis
    ./scripts/wait-for-db.sh                                     # until all three are healthy
    docker compose -f docker-compose.scheduler.yml up -d         # migrate, dispatcher, control
    docker compose -f docker-compose.api.yml up -d               # api replicas, load balancer
    docker compose -f docker-compose.workers.yml up -d           # worker-1, worker-2, Flower
All four share the project name `taskplane` (one network, one set of volumes), so the services
find each other as in docker-compose.yml. A `depends_on` between services of different files is
dropped: each step starts after the one before it is up, which is what wait-for-db.sh and the
order above are for. tests/deploy/test_compose_files_are_consistent.py fails while a file is
stale. Needs PyYAML (requirements/base.txt).
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent
SOURCE = DEPLOY / "docker-compose.yml"
SPLIT = {
    "infrastructure": ("PostgreSQL, RabbitMQ and Redis", ["postgres", "rabbitmq", "redis"]),
    "scheduler": ("the database migration, the dispatcher and the control role", ["migrate", "dispatcher", "control"]),
    "api": ("the api replicas and their load balancer", ["api", "lb"]),
    "workers": ("the worker nodes and Flower", ["worker-1", "worker-2", "flower"]),
}


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # every service spelled out: no &id001 anchors
        return True


def _named_volumes(service: dict) -> set[str]:
    names = set()
    for entry in service.get("volumes") or []:
        source = entry.get("source", "") if isinstance(entry, dict) else str(entry).split(":")[0]
        if source and not source.startswith((".", "/", "~", "$")):
            names.add(source)
    return names


def render(part: str, source: dict) -> str:
    what, names = SPLIT[part]
    services = {}
    for name in names:
        service = copy.deepcopy(source["services"][name])
        deps = service.pop("depends_on", None)
        if isinstance(deps, dict):
            deps = {k: v for k, v in deps.items() if k in names}
        elif isinstance(deps, list):
            deps = [k for k in deps if k in names]
        if deps:
            service["depends_on"] = deps
        services[name] = service
    document = {"name": source["name"], "services": services}
    volumes = sorted(set().union(*(_named_volumes(s) for s in services.values())))
    if volumes:
        document["volumes"] = {v: source["volumes"][v] for v in volumes}
    header = (
        f"# GENERATED from docker-compose.yml by compose-split.py: edit that file, then rerun.\n"
        f"# Step `{part}` of the split deployment: {what}.\n"
        f"#   cd deploy && docker compose -f docker-compose.{part}.yml up -d\n"
        f"# (deploy/README.md, \"Distributed: one compose file per step\")\n\n"
    )
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=200)


def targets() -> dict[Path, str]:
    source = yaml.safe_load(SOURCE.read_text())
    return {DEPLOY / f"docker-compose.{part}.yml": render(part, source) for part in SPLIT}


if __name__ == "__main__":
    for path, text in targets().items():
        path.write_text(text)
        print(f"wrote deploy/{path.name}")
