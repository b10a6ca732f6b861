"""`manage.py config validate [--file F ...]`: every problem with its key path and the file it
came from, or a summary; in both cases the old system's keys that were mapped to ours and
those that do not apply here (warnings, with the reason: never a refusal).

It runs before Django is set up (manage.py hands it over directly), because the
configuration it is asked to judge may be the very one that keeps Django from starting.
"""

from __future__ import annotations

import argparse
import sys

from . import ConfigError, load_config
from .secrets import redact_url as redact


def summary(config) -> list[str]:
    tp = config.settings
    db = tp.database.url or f"embedded SQLite in {config.data_dir}"
    redis = tp.scheduler.phase2.redis
    redis_where = ", ".join(redis.cluster_urls) if redis.mode == "cluster" else redact(config.redis_url)
    lines = [
        f"files:        {', '.join(str(f) for f in config.files)}",
        f"environment:  {config.environment}",
        f"database:     {redact(db)}",
        f"broker:       {tp.message_queue.type} at {redact(config.broker_url)}",
        f"redis:        {redis.mode} at {redis_where} (key prefix {redis.key_prefix})",
        f"instance_id:  {config.instance_id}",
        f"api:          {tp.api.bind_address}, auth {'on' if tp.api.auth.enabled else 'OFF'}, "
        f"tls {'on' if tp.api.tls.enabled else 'off'}",
        f"embedded:     {'Redis on port ' + str(tp.embedded.redis_port) if config.uses_embedded_redis() else 'not used'}",
        f"worker:       {tp.worker.max_concurrent_tasks} slots, heartbeat every {tp.worker.heartbeat_interval_seconds:g} s; "
        f"default task timeout {tp.scheduler.job_timeout_seconds} s",
    ]
    n = tp.notifications
    lines.append(
        f"notifications: {'on' if n.enabled else 'off'}, {n.concurrency} delivery threads per control process, "
        f"e-mail {'via ' + n.smtp_host + ':' + str(n.smtp_port) if n.smtp_host else 'not configured (no smtp_host)'}"
    )
    replicas = tp.database.read_replicas
    if replicas:
        names = ", ".join(f"{name} ({redact(url)})" for name, url in replicas.items())
        lines.append(f"replicas:     {names}; skipped when over {tp.database.replica_max_lag_seconds:g} s behind")
    return lines


def main(argv: list[str], stdout=None, stderr=None, prog: str = "manage.py config") -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = argparse.ArgumentParser(prog=prog, description="Check Taskplane configuration.", allow_abbrev=False)
    sub = parser.add_subparsers(dest="action", required=True)
    validate = sub.add_parser("validate", allow_abbrev=False, help="validate the layered configuration, with FILE(s) "
                                                                   "on top (default: ENVIRONMENT's file)")
    validate.add_argument("--file", action="append", help="a file layered on config/base.toml (repeatable, in order)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.file)
    except ConfigError as exc:
        print(str(exc), file=stderr)
        return 1
    print("Configuration is valid.", file=stdout)
    for line in summary(config):
        print(f"  {line}", file=stdout)
    for line in seed_report(config):
        print(line, file=stdout)
    return 0


def seed_report(config) -> list[str]:
    """The old system's keys: mapped to ours, and not applying here (as warnings)."""
    lines = []
    if config.mapped:
        lines.append(f"Mapped keys ({len(config.mapped)}): the old system's names, applied as ours")
        lines += [f"  {m}" for m in config.mapped]
    if config.warnings:
        lines.append(f"Ignored keys ({len(config.warnings)}): warnings, they have no effect here")
        lines += [f"  warning: {w.describe()}" for w in config.warnings]
    return lines
