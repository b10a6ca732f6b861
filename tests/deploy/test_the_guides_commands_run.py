"""Every command in the text of both deployment guides of the system we replace (copied verbatim
in tests/deploy/guides/) runs here, as an operator who knows them would type it, against a live
platform, with its hosts, ports, key prefix and instance ids substituted by the platform's.

Extracted: every line of the ```bash blocks, the systemd unit's ExecStart, the Dockerfile's CMD,
the Kubernetes container's command, and the commands and URLs quoted inline. Each one is
classified by RULES (a new command in a guide fails test_every_command_is_classified):

- server: the guide's processes (`scheduler --mode ...`, `scheduler-api`, `scheduler-dispatcher`,
  `scheduler-worker --worker-id`, `cargo run --bin ...` meaning the same binaries, the unit's
  bare `scheduler` in a directory holding the guide's config.toml): started through the
  package's console scripts (pyproject.toml [project.scripts], put on PATH as pip would), each
  until its /health answers 200 (the api's, or HEALTH_PORT for the other roles), then stopped.
- run: run to completion against the platform: `scheduler-cli task list | worker status | data
  cleanup --older-than 30d | data vacuum | data reindex`, `scheduler config validate --file
  config/production.toml`, every curl (the guide's endpoints; an API key added where the
  endpoint asks for one), every redis-cli (prefix `lingua-prod`, instance `scheduler-1` and the
  node id replaced), `redis-cli` inside `docker exec redis`, netstat, jq over the JSON logs
  (the guide's own `[observability] log_file` instead of `docker-compose logs`: every role's
  lines, and nothing else; stdout also has Celery's banner, which is not JSON), telnet (as a TCP connect: telnet is
  interactive and not installed), and on PostgreSQL psql, pg_dump, the restore (into a
  database of its own), the backup script (as deploy/backup.sh) and wait-for-db.sh (with
  --url: there is no compose project to ask). The Rust toolchain's `sqlx migrate run|info|add`
  run as ours: `scheduler migrate`, `showmigrations`, `makemigrations --check --dry-run`.
- check: needs what the tests do not run here, so what it names must exist: docker /
  docker-compose (no engine in `make test`: the compose files, their services and profiles;
  `make container-test` runs them), kubectl (no cluster: the manifests, objects and
  containers; tests/deploy validates them), systemctl / journalctl (systemd is not PID 1 here:
  the units; `systemd-analyze verify` checks them), image registry operations (the Dockerfile),
  crontab (the backup script), `export` lines (the variable is one the configuration reads;
  their values are placeholders), rabbitmqctl (needs the broker node's Erlang cookie),
  `sqlx database reset` (`flush` exists; it would empty the live platform's database).
- not ours: `git clone <repository-url>` and `cd job` fetch the old system's source; the ELK
  stack's docker-compose.logging.yml is not shipped (logs are JSON lines on stdout and the
  journal, for any collector); the pg_stat_statements query needs that extension and was
  written for PostgreSQL 12 (deploy/README.md has the corrected one).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scheduler_project.config import BASE_DIR
from scheduler_project.config.loader import ENV_OVERRIDES
from tests.deploy._tools import DEPLOY, load_yaml
from tests.deploy.test_runbook_commands_exist import (
    K8S_KINDS,
    _compose_problems,
    _kubectl_problems,
    bash_blocks,
    segments,
)
from tests.services import free_port
from tests.support.processes import http_get, reap, wait_for

GUIDES = sorted((Path(__file__).parent / "guides").glob("*.txt"))
SCRIPTS = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["scripts"]
SEED_PREFIX, SEED_INSTANCE = "lingua-prod", "scheduler-1"


@dataclass(frozen=True)
class Command:
    text: str
    guide: str
    where: str

    def __str__(self) -> str:
        return f"{self.guide}: {self.text}"


INLINE_COMMAND = re.compile(r"^(redis-cli|telnet|journalctl|GET) |^http://<instance-ip>")


def guide_commands() -> list[Command]:
    found: list[Command] = []
    for guide in GUIDES:
        text, name = guide.read_text(), guide.name[:3]
        for block in bash_blocks(text):
            found += [Command(line, name, "bash") for line in block]
        for line in re.findall(r"^ExecStart=(.+)$", text, flags=re.MULTILINE):
            found.append(Command(line.strip(), name, "ExecStart"))
        for argv in re.findall(r'^CMD (\[.*\])$', text, flags=re.MULTILINE):
            found.append(Command(" ".join(json.loads(argv)), name, "CMD"))
        for argv in re.findall(r"^\s+command: (\[.*\])$", text, flags=re.MULTILINE):
            found.append(Command(" ".join(json.loads(argv)), name, "k8s command"))
        for span in re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text):
            if INLINE_COMMAND.match(span):
                found.append(Command(span, name, "inline"))
    return list(dict.fromkeys(found))


# (pattern on the command, kind, why). The first match decides.
RULES: list[tuple[str, str, str]] = [
    (r"^git clone |^cd job$", "not ours", "fetches the old system's source"),
    (r"^(cargo run --bin scheduler(-api|-dispatcher|-worker)?\b|\./scheduler(-api|-dispatcher|-worker)? +--|"
     r"scheduler --mode|/opt/lingua/scheduler/target/release/scheduler$|/app/scheduler$)", "server",
     "one of the guide's processes, through the console scripts"),
    (r"^\./scheduler(-cli)? (task|worker|data|config) ", "run", "the console scripts"),
    (r"^sqlx migrate (run|info|add)", "run", "sqlx is the Rust toolchain's; ours: migrate, showmigrations, makemigrations"),
    (r"^sqlx database reset", "check", "flush exists; it would empty the live platform's database"),
    (r"^export ", "check", "the variable is read by the configuration; the values are placeholders"),
    (r"docker-compose -f docker-compose\.logging\.yml", "not ours",
     "the old ELK stack is not shipped: logs are JSON lines on stdout and the journal, for any collector"),
    (r"^docker-compose logs \| jq ", "run", "jq over the role's JSON log file instead of docker-compose logs"),
    (r"^docker-compose ", "check", "no Docker engine in make test: the compose file, services and profile must exist"),
    (r"^docker exec (-i )?scheduler-postgres ", "run", "the command inside the postgres container, on the platform's"),
    (r"^docker exec redis redis-cli ", "run", "redis-cli inside the redis container, on the platform's Redis"),
    (r"^docker exec rabbitmq rabbitmqctl ", "check", "rabbitmqctl needs the broker node's Erlang cookie: the service exists"),
    (r"^docker (tag|push|scout|build|run|stats|exec service_name)", "check",
     "image and container operations: no engine or registry here (make container-test builds and runs the image)"),
    (r"^kubectl ", "check", "no cluster here: the manifests, objects and containers must exist"),
    (r"^(sudo )?(systemctl|journalctl) ", "check", "systemd is not PID 1 here: the units must exist"),
    (r"^cp config-scheduler-1\.toml ", "run", "the set-up of the ExecStart server test (config.toml beside it)"),
    (r"^(crontab -e|0 2 \* \* \* /opt/scheduler/backup\.sh)$", "check", "no crontab here: the backup script exists"),
    (r"^(DATE=|BACKUP_DIR=|mkdir -p \$BACKUP_DIR|tar czf \$BACKUP_DIR|find \$BACKUP_DIR)", "run",
     "the guide's backup.sh block: deploy/backup.sh does it, run on PostgreSQL"),
    (r"pg_stat_statements ORDER BY total_time", "not ours",
     "needs the pg_stat_statements extension, and PostgreSQL 13 renamed total_time (deploy/README has the query)"),
    (r"^(pg_dump|psql) ", "run", "on the platform's PostgreSQL"),
    (r"^\./scripts/wait-for-db\.sh$", "run", "with --url of the platform's PostgreSQL: no compose project to ask"),
    (r"^(curl |GET |http://<instance-ip>)", "run", "the platform's api"),
    (r"^redis-cli ", "run", "the platform's Redis"),
    (r"^telnet ", "run", "as a TCP connect to the platform's Redis (telnet is interactive, not installed)"),
    (r"^netstat ", "run", "the api's port"),
]


def classify(command: Command) -> tuple[str, str]:
    for pattern, kind, why in RULES:
        if re.search(pattern, command.text):
            return kind, why
    return "unclassified", ""


COMMANDS = guide_commands()


def of_kind(kind: str) -> list[Command]:
    return [c for c in COMMANDS if classify(c)[0] == kind]


def test_every_command_is_classified():
    assert len(COMMANDS) > 100, "the guides lost their commands"
    assert [str(c) for c in COMMANDS if classify(c)[0] == "unclassified"] == []
    kinds = {c.text: classify(c)[0] for c in COMMANDS}
    assert kinds["./scheduler-cli data cleanup --older-than 30d"] == "run"
    assert kinds["./scheduler --mode dispatcher    # 仅调度器"] == "server"
    assert kinds["redis-cli ping"] == "run"


# ---------------------------------------------------------------- check: what they name exists

K8S = [d for p in (DEPLOY / "k8s").glob("*.yaml") for d in load_yaml(p, all_documents=True)]
K8S_OBJECTS = {(d["kind"], d["metadata"]["name"]) for d in K8S if "kind" in d and "metadata" in d}
CONTAINERS = {d["metadata"]["name"]: {c["name"] for c in d["spec"]["template"]["spec"]["containers"]}
              for d in K8S if d.get("kind") == "Deployment"}
COMPOSE = load_yaml(DEPLOY / "docker-compose.yml")
UNITS = {p.name for p in (DEPLOY / "systemd").iterdir()}


def check_problems(command: Command) -> list[str]:
    text = command.text.split("  #")[0].strip().replace("service_name", "api")  # the guide's placeholder
    tokens_list = segments(text)
    problems = []
    if text.startswith("sqlx database reset"):
        from django.core.management import get_commands

        return [] if "flush" in get_commands() else ["manage.py flush is missing"]
    if text.startswith("export "):
        name = text.split()[1].split("=")[0]
        known = set(ENV_OVERRIDES) | {"RUST_LOG", "ENVIRONMENT"}
        return [] if name in known else [f"{name}: not a variable the configuration reads"]
    for tokens in tokens_list:
        if tokens[0] == "docker-compose":
            # The compose files live in deploy/ (the guide runs from its project directory).
            problems += _compose_problems(["docker", "compose", *tokens[1:]], DEPLOY / "docker-compose.yml", DEPLOY)
            profile = tokens[tokens.index("--profile") + 1] if "--profile" in tokens else None
            if profile and not any(profile in (s.get("profiles") or []) for s in COMPOSE["services"].values()):
                problems.append(f"no service in profile {profile!r}")
        elif tokens[0] == "docker":
            if tokens[1] == "exec" and tokens[2] == "rabbitmq" and "rabbitmq" not in COMPOSE["services"]:
                problems.append("no rabbitmq service in docker-compose.yml")
            elif not (DEPLOY / "Dockerfile").is_file():
                problems.append("deploy/Dockerfile is missing")
        elif tokens[0] == "kubectl":
            problems += _kubectl_problems(tokens, K8S_OBJECTS, CONTAINERS)
            for flag, path in zip(tokens, tokens[1:]):
                if flag in ("-f", "--from-file") and path not in ("-",):
                    target = path.split("=")[-1]
                    if target != "config/production-new.toml" and not (DEPLOY / target).exists() \
                            and not (BASE_DIR / target).exists():
                        problems.append(f"{target}: no such file in deploy/ or the tree")
            for kind, name in (("namespace", "Namespace"), ("configmap", "ConfigMap"), ("secret", "Secret")):
                if tokens[1:3] == ["create", kind] or tokens[1:4] == ["create", "secret", "generic"] and kind == "secret":
                    object_name = tokens[3] if kind != "secret" else tokens[4]
                    if (name, object_name) not in K8S_OBJECTS:
                        problems.append(f"kubectl create {kind} {object_name}: no {name} of that name in deploy/k8s")
            for token in tokens:
                match = re.fullmatch(r"([a-z]+)/([\w.-]+)", token)
                if match and match.group(1) in K8S_KINDS and (K8S_KINDS[match.group(1)], match.group(2)) not in K8S_OBJECTS:
                    problems.append(f"{token}: not in deploy/k8s")
        elif tokens[-1] in ("lingua-scheduler",) or "lingua-scheduler" in tokens:
            # The guide's unit runs an instance: ours is taskplane.target (api, dispatcher, control).
            if "taskplane.target" not in UNITS:
                problems.append("deploy/systemd/taskplane.target is missing")
        elif tokens[0] in ("crontab", "0"):
            backup = DEPLOY / "backup.sh"
            if not backup.is_file() or not backup.stat().st_mode & stat.S_IXUSR:
                problems.append("deploy/backup.sh is missing or not executable")
    return problems


def test_what_the_unrunnable_commands_name_exists():
    checked = of_kind("check")
    assert len(checked) > 40
    problems = {str(c): p for c in checked if (p := check_problems(c))}
    assert problems == {}


def test_the_checks_catch_what_is_missing():
    for text in ("docker-compose -f docker-compose.nope.yml up -d", "kubectl apply -f k8s/nope.yaml",
                 "kubectl create configmap nope-config --from-file=config/production.toml --namespace=scheduler",
                 "kubectl -n scheduler rollout status deployment/scheduler-nope", "export NOPE_URL=x",
                 "docker-compose --profile nope up -d"):
        assert check_problems(Command(text, "test", "bash")), text


# ------------------------------------------------------------------ the console scripts on PATH

@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    """The console scripts of pyproject.toml, as pip writes them, running this tree's code
    (tests/runtime/test_the_package_installs_a_working_command.py installs the real wheel)."""
    directory = tmp_path_factory.mktemp("bin")
    for name, target in SCRIPTS.items():
        module, _, function = target.partition(":")
        script = directory / name
        script.write_text(f"#!{sys.executable}\nimport sys\nfrom {module} import {function}\nsys.exit({function}())\n")
        script.chmod(0o755)
    return directory


def translate(text: str) -> str:
    """The guide's binaries as our console scripts."""
    text = text.split("  #")[0].strip()
    text = re.sub(r"^cargo run --bin (\S+)(?: --)?", r"\1", text)
    text = re.sub(r"^\./(scheduler\S*)", r"\1", text)
    return re.sub(r"^/opt/lingua/scheduler/target/release/scheduler$|^/app/scheduler$", "scheduler", text)


# ------------------------------------------------------------------- server: start, health, stop

SERVERS = sorted({translate(c.text) for c in of_kind("server")})


@pytest.mark.e2e
@pytest.mark.parametrize("command", SERVERS)
def test_the_guides_processes_start(command, platform, bin_dir, tmp_path):
    """Started as the guide writes it, in a directory holding the guide's config files, with
    the platform's database, broker, queues and key prefix; healthy within the deadline."""
    name = f"guide-{free_port()}"
    instance_file, api_port = platform.add_instance(name)
    health_port = free_port()
    work = tmp_path / "work"
    (work / "config").mkdir(parents=True)
    for env_file in ("development.toml", "production.toml"):  # as shipped
        (work / "config" / env_file).symlink_to(BASE_DIR / "config" / env_file)
    for role_file in ("api.toml", "dispatcher.toml"):  # the operator's own role files
        (work / "config" / role_file).write_text(instance_file.read_text())
    argv = shlex.split(command)
    if "--config" in argv:  # the guide's file, then the platform's isolation (ports, queues, prefix)
        argv += ["--config", str(instance_file)]
    env = {**platform.env, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(BASE_DIR),
           "TASKPLANE_CONFIG": str(instance_file), "JWT_SECRET": "guide-jwt-secret", "FRONTEND_URL": "http://localhost:3000",
           "DJANGO_SECRET_KEY": "guide-" + "x" * 50, "REDIS_URL": platform.config.redis_url,
           "MESSAGE_QUEUE_TYPE": platform.mq.type, "MESSAGE_QUEUE_URL": platform.config.broker_url}
    if argv == ["scheduler"]:
        # The multi-instance guide: its config-scheduler-1.toml copied as the directory's config.toml
        # (`cp config-scheduler-1.toml /opt/lingua/scheduler/config.toml`), then the bare binary.
        api_port = free_port()
        (work / "config.toml").write_text(guide2_instance_file(platform, name, api_port))
        env.pop("TASKPLANE_CONFIG")
    roles = {"scheduler-api": "api", "scheduler-dispatcher": "dispatcher", "scheduler-worker": "worker"}
    mode = roles.get(argv[0]) or (argv[argv.index("--mode") + 1] if "--mode" in argv else "all")
    if mode != "all" and mode != "api":
        env["HEALTH_PORT"] = str(health_port)
    port = api_port if mode in ("all", "api") else health_port
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(argv, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: process.poll() is not None or http_get(port, "/health")[0] == 200, 120,
                 lambda: f"/health of `{command}` on {port}: {(tmp_path / 'server.log').read_text()[-3000:]}")
        assert process.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
        body = json.loads(http_get(port, "/health")[1])
        assert body["status"] == "ok"
        if mode in ("dispatcher", "worker"):
            assert body["role"] == mode
        if argv == ["scheduler"]:
            assert body["instance_id"] == SEED_INSTANCE, "the directory's config.toml is the instance's"
    finally:
        reap(process)
    if mode == "dispatcher":
        # The seed's split has no control role: the dispatcher says so (none runs in this test).
        assert "no control role is running" in (tmp_path / "server.log").read_text()


def guide2_instance_file(platform, name: str, api_port: int) -> str:
    """config-scheduler-1.toml as the multi-instance guide writes it, its hosts and prefix
    substituted, plus the platform's queue names (tables the guide's file does not have)."""
    guide = next(g for g in GUIDES if g.name.startswith("002")).read_text()
    text = re.search(r"实例 1 配置 \(`config-scheduler-1.toml`\)\n\n```toml\n(.*?)```", guide, re.DOTALL).group(1)
    text = (text.replace("port = 5010", f"port = {api_port}").replace('host = "0.0.0.0"', 'host = "127.0.0.1"')
            .replace("redis://your-redis-host:6379", platform.config.redis_url)
            .replace(SEED_PREFIX, platform.config.settings.scheduler.phase2.redis.key_prefix)
            .replace("./models", str(platform.tmp / "models")))
    own = tomllib.loads(platform.config_file.read_text())
    queues = "\n".join(f'{k} = "{v}"' for k, v in own["message_queue"].items())
    return (f"{text}\n[message_queue]\n{queues}\n\n[embedded]\ndata_dir = \"{platform.tmp / 'data'}\"\n"
            f"redis_port = {free_port()}\n")


# ----------------------------------------------------------------------- run: against a platform

@dataclass
class Live:
    platform: object
    bin_dir: Path
    tmp: Path
    key: str
    worker_id: str

    @property
    def prefix(self) -> str:
        return self.platform.config.settings.scheduler.phase2.redis.key_prefix

    @property
    def instance(self) -> str:
        return self.platform.config.instance_id

    def redis_cli(self) -> str:
        url = urlsplit(self.platform.config.redis_url)
        return f"redis-cli -h {url.hostname} -p {url.port or 6379} -n {url.path.strip('/') or '0'}"

    def pg(self) -> dict | None:
        from django.db import connection

        conf = connection.settings_dict
        if conf["ENGINE"].endswith("sqlite3"):
            return None
        return {"host": conf["HOST"] or "127.0.0.1", "port": str(conf["PORT"] or 5432), "user": conf["USER"],
                "name": conf["NAME"]}

    def env(self) -> dict:
        pg = self.pg() or {}
        return {**self.platform.env, "PATH": f"{self.bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(BASE_DIR),
                "JWT_SECRET": "guide-jwt-secret", "FRONTEND_URL": "http://localhost:3000",
                "DJANGO_SECRET_KEY": "guide-" + "x" * 50, "MESSAGE_QUEUE_TYPE": self.platform.mq.type,
                "MESSAGE_QUEUE_URL": self.platform.config.broker_url, "REDIS_URL": self.platform.config.redis_url,
                "PGPORT": pg.get("port", ""), "PGHOST": pg.get("host", "")}

    def substitute(self, text: str) -> str:
        """The guide's addresses and names, the platform's."""
        text = translate(text)
        api = f"127.0.0.1:{self.platform.api_port}"
        text = re.sub(r"localhost:808[01]|<instance-ip>:5010", api, text)
        text = text.replace(SEED_PREFIX, self.prefix).replace("<instance_id>", self.instance)
        text = text.replace("<node_id>", self.worker_id)
        text = re.sub(r"\{instance:scheduler-1\}", "{instance:" + self.instance + "}", text)
        text = text.replace(f":presence:{SEED_INSTANCE}", f":presence:{self.instance}")
        if re.search(r"http://[^ ]+/(api|dashboard)", text):
            text = re.sub(r"^curl ", f"curl -sf -H 'X-API-Key: {self.key}' ", text)
        elif text.startswith("curl "):
            text = "curl -sf " + text[5:]
        text = re.sub(r"^(sudo )?redis-cli ", self.redis_cli() + " ", text)
        pg = self.pg()
        if pg:
            text = re.sub(r"-h localhost -U postgres", f"-h {pg['host']} -U {pg['user']}", text)
            text = re.sub(r"-d scheduler\b", f"-d {pg['name']}", text)
        return text


# What each run command's output must show (beyond exit code 0), by the guide's text.
EXPECT = {
    "./scheduler-cli task list": "guide-task",
    "./scheduler-cli worker status": "WORKER",
    "./scheduler-cli data cleanup --older-than 30d": "deleted 0 run(s)",
    "./scheduler-cli data vacuum": "vacuum done",
    "./scheduler-cli data reindex": "reindex done",
    "./scheduler config validate --file config/production.toml": "Configuration is valid.",
    "sqlx migrate info --database-url $DATABASE_URL": "[X] 0001_initial",
    "curl http://localhost:8081/health": '"status": "ok"',
    "curl http://localhost:8080/health": '"status": "ok"',
    "curl http://localhost:8080/api/system/info": '"instance_id"',
    "curl http://localhost:8080/api/system/health/detailed": '"database"',
    "curl http://localhost:8080/metrics | grep scheduler_": "scheduler_",
    "curl -X POST http://localhost:8080/api/system/reload-config": '"applied"',
    "redis-cli ping": "PONG",
    "docker exec redis redis-cli info": "redis_version",
    'redis-cli XINFO GROUPS "lingua-prod:streams:{instance:scheduler-1}:inbox"': "scheduler",
    'redis-cli XINFO STREAM "lingua-prod:streams:{instance:scheduler-1}:inbox"': "length",
    'psql -h localhost -U postgres -d scheduler -c "SELECT 1;"': "1 row",
}


def shell_command(command: Command, live: Live) -> tuple[str | None, str]:
    """(the shell line to run, or None when it is run another way; why, when substituted)."""
    text = command.text
    if text.startswith("sqlx migrate run"):
        return "scheduler migrate --noinput", ""
    if text.startswith("sqlx migrate info"):
        return "scheduler showmigrations tasks_app", ""
    if text.startswith("sqlx migrate add"):
        return "scheduler makemigrations --check --dry-run", "models and migrations agree"
    if text.startswith("docker exec redis redis-cli "):
        return live.substitute(text.removeprefix("docker exec redis ")), ""
    if text.startswith("docker-compose logs | jq "):
        # The guide's own [observability] log_file (JSON lines of every role of the instance):
        # stdout also carries Celery's banner and Python's warnings, which are not JSON.
        return f"cat {live.platform.tmp / 'app.log'} | {text.split('| ', 1)[1]}", ""
    if "docker exec" in text and "scheduler-postgres" in text:
        inner = re.sub(r"docker exec (-i )?scheduler-postgres ", "", text)
        inner = inner.replace("-U postgres scheduler", "-U postgres -d scheduler")
        return live.substitute(inner), ""
    if text.startswith("netstat "):
        return text.replace("8080", str(live.platform.api_port)), "the api's port"
    return live.substitute(text), ""


def run_one(command: Command, live: Live) -> str | None:
    """Run one command; returns what went wrong, or None."""
    text = command.text
    pg = live.pg()
    needs_pg = re.search(r"^(pg_dump|psql)|scheduler-postgres|^\./scripts/wait-for-db|^(DATE|BACKUP_DIR)=|"
                         r"^(mkdir|tar|find) .*BACKUP_DIR", text)
    if needs_pg and not pg:
        return None  # SQLite run: the PostgreSQL commands are run on PostgreSQL (make test on CI does both)
    if text.startswith("telnet "):
        url = urlsplit(live.platform.config.redis_url)
        with socket.create_connection((url.hostname, url.port or 6379), timeout=5):
            return None
    if text.startswith(("GET /", "http://<instance-ip>")):
        path = text.split(" ", 1)[1] if text.startswith("GET ") else "/" + text.split("/", 3)[3]
        status, _ = http_get(live.platform.api_port, path, headers={"X-API-Key": live.key})
        return None if status == 200 else f"GET {path}: {status}"
    if text.startswith("cp config-scheduler-1.toml"):
        return None  # the set-up of the ExecStart server test, which runs it
    if re.match(r"^(DATE|BACKUP_DIR)=|^(mkdir|tar|find) .*BACKUP_DIR", text):
        return run_backup(live)
    if text == "./scripts/wait-for-db.sh":
        url = f"postgresql://{pg['user']}@{pg['host']}:{pg['port']}/{pg['name']}"
        line = f"{DEPLOY / 'scripts' / 'wait-for-db.sh'} --url {url} --timeout 30"
    elif "redis-cli monitor" in text:
        return run_monitor(live)
    elif re.search(r"psql .*< backup", text):
        return run_restore(live)
    else:
        line, _ = shell_command(command, live)
    result = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=live.tmp, env=live.env(), capture_output=True,
                            text=True, timeout=180)
    if result.returncode != 0:
        return f"`{line}` exited {result.returncode}: {(result.stdout + result.stderr)[-1500:]}"
    expected = EXPECT.get(text)
    output = result.stdout + result.stderr
    if expected and expected not in output:
        return f"`{line}`: {expected!r} not in its output: {output[-1500:]}"
    return check_output(text, live, result.stdout)


def check_output(text: str, live: Live, out: str) -> str | None:
    """What the guide's Redis commands must show on a live platform."""
    if "schedulers:presence:*" in text and f"{live.prefix}:schedulers:presence:{live.instance}" not in out:
        return f"presence key of {live.instance} not listed: {out}"
    if "GET" in text and "schedulers:presence:" in text and json.loads(out)["instance_id"] != live.instance:
        return f"presence record: {out}"
    if "nodes:all" in text and live.worker_id not in out.split():
        return f"node {live.worker_id} not in the node set: {out}"
    if "nodes:snapshot" in text and json.loads(out)["worker_id"] != live.worker_id:
        return f"node snapshot: {out}"
    if text.startswith("redis-cli XLEN") and not out.strip().isdigit():
        return f"XLEN: {out}"
    if text.startswith("pg_dump") and "tasks_app_task" not in (live.tmp / f"backup_{time.strftime('%Y%m%d')}.sql").read_text():
        return "the dump has no tasks table"
    return None


def run_monitor(live: Live) -> str | None:
    process = subprocess.Popen(["bash", "-c", f"exec {live.redis_cli()} monitor"], stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        first = process.stdout.readline()
    finally:
        reap(process, grace=2)
    return None if first.strip() == "OK" else f"redis-cli monitor said {first!r}"


def run_backup(live: Live) -> str | None:
    """The guide's backup.sh, lines and all, is deploy/backup.sh: run it once for the block."""
    backups = live.tmp / "backup"
    if backups.exists():
        return None
    pg = live.pg()
    env = {**live.env(), "BACKUP_DIR": str(backups),
           "DATABASE_URL": f"postgresql://{pg['user']}@{pg['host']}:{pg['port']}/{pg['name']}"}
    result = subprocess.run([str(DEPLOY / "backup.sh")], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        return f"deploy/backup.sh exited {result.returncode}: {result.stdout}{result.stderr}"
    names = sorted(p.name for p in backups.iterdir())
    if not (any(n.startswith("db_") and n.endswith(".sql") for n in names) and any(n.startswith("config_") for n in names)):
        return f"deploy/backup.sh wrote {names}"
    return None


def run_restore(live: Live) -> str | None:
    """`psql ... -d scheduler < backup_20240101.sql`: the dump made by the guide's pg_dump line,
    restored into an empty database of its own (not over the live one)."""
    pg = live.pg()
    dump = live.tmp / f"backup_{time.strftime('%Y%m%d')}.sql"
    scratch = f"{pg['name']}_restore"[:63]
    base = ["-h", pg["host"], "-p", pg["port"], "-U", pg["user"]]
    subprocess.run(["dropdb", *base, "--if-exists", scratch], capture_output=True, timeout=60)
    subprocess.run(["createdb", *base, scratch], check=True, capture_output=True, timeout=60)
    try:
        with dump.open() as source:
            result = subprocess.run(["psql", *base, "-d", scratch], stdin=source, capture_output=True, text=True, timeout=180)
        tables = subprocess.run(["psql", *base, "-d", scratch, "-tAc", "SELECT count(*) FROM tasks_app_task"],
                                capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", scratch], capture_output=True, timeout=60)
    if result.returncode != 0 or tables.stdout.strip() != "1":
        return f"restore: {result.stderr[-1000:]} / tasks: {tables.stdout}{tables.stderr}"
    return None


@pytest.mark.e2e
def test_the_guides_commands_run_against_a_live_platform(platform, bin_dir, tmp_path):
    from accounts_app.services import create_api_key
    from tasks_app.models import Task
    from workers_app.models import Worker

    worker_id = "worker-1"
    platform.reconfigure(append=f'[observability]\nlog_format = "json"\nlog_file = "{tmp_path / "app.log"}"\n')
    platform.start("api")
    platform.start("control")
    platform.start("dispatcher")
    platform.start("worker", "--worker-id", worker_id)
    _, key = create_api_key("guide", ["Admin"])
    Task.objects.create(name="guide-task", type="shell", spec={"command": "true"})
    (tmp_path / "config").mkdir()
    for env_file in ("development.toml", "production.toml"):  # as shipped, where the guide's commands look
        (tmp_path / "config" / env_file).symlink_to(BASE_DIR / "config" / env_file)
    live = Live(platform, bin_dir, tmp_path, key, worker_id)
    wait_for(lambda: http_get(platform.api_port, "/health")[0] == 200, 90, "the api")
    wait_for(lambda: Worker.objects.filter(worker_id=worker_id).exists(), 90, "the worker in the registry")

    ran, problems = [], {}
    # pg_dump before the restore that reads its file; the rest in the guides' order.
    commands = sorted(of_kind("run"), key=lambda c: "backup_20240101" in c.text)
    for command in commands:
        problem = run_one(command, live)
        ran.append(command.text)
        if problem:
            problems[str(command)] = problem
    assert not problems, "\n".join(f"{command}\n    {problem}" for command, problem in problems.items())
    assert len(ran) > 40
