import logging
import os
import sys

from django.core.management.base import CommandError

from scheduler_project import checks, embedded, hooks, log_context
from scheduler_project.commandline.command import OperatorCommand
from scheduler_project.config import ConfigError, load_config
from scheduler_project.lifecycle_log import log_instance_started
from scheduler_project.roles import NO_CONTROL, ROLES, role_argv
from scheduler_project.supervisor import Child, Supervisor

log = logging.getLogger("taskplane.serve")


class Command(OperatorCommand):
    help = "Start a Taskplane role (api, dispatcher, control, worker) or all of them, supervised."
    # The system checks judge the roles being started (a worker needs no database), so they run
    # in handle() once --mode is known, not before it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--mode", choices=("all", *ROLES), default="all")
        parser.add_argument("--config", action="append",
                            help="configuration file layered on config/base.toml (repeatable, in order)")
        parser.add_argument("--worker-id", help="this node's worker id (overrides WORKER_ID)")
        parser.add_argument("--task-types", help="worker: comma-separated task types (overrides WORKER_TASK_TYPES)")
        parser.add_argument("--tags", help="worker: comma-separated tags (overrides WORKER_TAGS)")
        parser.add_argument("--concurrency", type=int, help="worker: slots (overrides WORKER_MAX_CONCURRENT_TASKS)")
        parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait for children on stop")

    def handle(self, *args, mode, **options):
        # What serve logs before it becomes one role's process is that role's first lines: they
        # carry its role (and a worker's worker_id, once known: _serve binds it).
        with log_context.bound(role=mode if mode in ROLES else None):
            try:
                self._serve(mode=mode, **options)
            except CommandError as exc:
                if not self._json_logs():
                    raise  # Django's "CommandError: ..." on stderr
                log.critical("serve stopped: %s", exc)  # under LOG_FORMAT=json, a line like any other
                sys.exit(exc.returncode)

    def _serve(self, *, mode, config, worker_id, grace, task_types, tags, concurrency, **options):
        env = dict(os.environ)
        if config:
            env["TASKPLANE_CONFIG"] = os.pathsep.join(os.path.abspath(path) for path in config)
        overrides = {"WORKER_ID": worker_id, "WORKER_TASK_TYPES": task_types, "WORKER_TAGS": tags,
                     "WORKER_MAX_CONCURRENT_TASKS": str(concurrency) if concurrency else None}
        env.update({name: value for name, value in overrides.items() if value})
        try:
            conf = load_config(env=env)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        with log_context.bound(worker_id=conf.worker_id if mode == "worker" else None):
            self._start(conf, mode, env, grace)

    def _start(self, conf, mode: str, env: dict, grace: float) -> None:
        self._warn_ignored_keys(conf)
        roles = [r for r in ROLES if mode in ("all", r)]
        if mode == "all":
            roles = [r for r in roles if self._enabled(conf, r)]
        checks.judge_roles(roles)
        self._check()  # errors stop here

        children = []
        if conf.uses_embedded_redis(roles):
            children.append(self._embedded_redis(conf))
            self._say(logging.INFO, f"embedded Redis on 127.0.0.1:{conf.settings.embedded.redis_port}")
        for role in roles:
            children.append(Child(role, role_argv(role, conf), role_env(env, role, conf)))
        log_instance_started(conf.instance_id, roles, conf.settings.scheduler.phase2.enabled)
        if roles == ["dispatcher"] and not conf.uses_embedded_redis(roles):  # an embedded Redis is not up yet
            self._warn_without_control()

        if len(children) == 1:
            # One role and nothing embedded: become that process, so systemd/k8s see it directly.
            sys.stdout.flush()
            os.execve(children[0].argv[0], children[0].argv, children[0].env)
        self._say(logging.INFO, f"serving {', '.join(roles)} (instance {conf.instance_id}); Ctrl-C stops everything")
        sys.stdout.flush()
        try:
            Supervisor(children, grace_seconds=grace).run()
        except embedded.EmbeddedRedisError as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def _json_logs() -> bool:
        from django.conf import settings

        return settings.TP.observability.log_format == "json"

    def _say(self, level: int, text: str) -> None:
        """What serve itself says: a log line under LOG_FORMAT=json (every line of every role is
        one JSON object), else plain text as ever (warnings on stderr)."""
        if self._json_logs():
            log.log(level, text)
        elif level >= logging.WARNING:
            self.stderr.write(text if text.startswith("warning") else f"WARNING: {text}")
        else:
            self.stdout.write(text)

    def _check(self) -> None:
        """Django's system checks; under LOG_FORMAT=json each issue is a log line (with its id and
        hint) instead of Django's plain-text report, and errors stop serve all the same."""
        if not self._json_logs():
            self.check()  # Django's usual report; errors raise SystemCheckError
            return
        from django.core.checks import run_checks

        issues = [issue for issue in run_checks(include_deployment_checks=False) if not issue.is_silenced()]
        for issue in issues:
            log.log(logging.ERROR if issue.is_serious() else logging.WARNING, "system check %s: %s", issue.id,
                    issue.msg, extra={"check_id": issue.id, "hint": issue.hint or "", "obj": str(issue.obj)})
        serious = [issue.id for issue in issues if issue.is_serious()]
        if serious:
            log.critical("serve stopped by system check errors: %s", ", ".join(serious))
            sys.exit(1)

    def _warn_without_control(self) -> None:
        """The seed's three processes (api, dispatcher, worker) lack our control role, without
        which beat's fires never become runs: say so at start (the dispatcher keeps watching,
        in its log and its /health: instances_app.scheduler.ControlWatch)."""
        try:
            seen = hooks.control_role_seen()
        except Exception as exc:  # noqa: BLE001  Redis away: beat's own checks report it
            self._say(logging.WARNING, f"could not tell whether a control role is running ({exc})")
            return
        if seen is False:
            self._say(logging.WARNING, NO_CONTROL)

    def _warn_ignored_keys(self, conf) -> None:
        """The old system's keys that do not apply here. The system checks (run before this)
        showed those of this process's own configuration; --config files are only read here."""
        from django.conf import settings

        shown = {w.describe() for w in settings.CONFIG.warnings}
        for warning in conf.warnings:
            if warning.describe() not in shown:
                self._say(logging.WARNING, f"warning (taskplane.W010): {warning.describe()}")

    @staticmethod
    def _enabled(conf, role: str) -> bool:
        tp = conf.settings
        return {"api": tp.api.enabled, "dispatcher": tp.dispatcher.enabled, "worker": tp.worker.enabled}.get(role, True)

    @staticmethod
    def _embedded_redis(conf) -> Child:
        port = conf.settings.embedded.redis_port
        if embedded.is_answering(port):
            raise CommandError(
                f"something already answers on 127.0.0.1:{port} (another `make run`?); "
                "stop it or set [embedded] redis_port"
            )
        child = Child("redis", embedded.server_argv(port, conf.data_dir / "redis"), dict(os.environ))
        child.ready = lambda: embedded.wait_until_answering(port, process=child.process)
        return child


def role_env(env: dict, role: str, conf) -> dict:
    """A child's environment. The api's gunicorn workers share their prometheus_client
    values through files in a directory of this instance (README "Observability"); the other
    roles serve no /metrics and must not write there."""
    child = {**env, "TASKPLANE_ROLE": role}
    if role == "api":
        child.setdefault("PROMETHEUS_MULTIPROC_DIR", str(conf.data_dir / "prometheus" / f"api-{conf.instance_id}"))
    else:
        child.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return child
