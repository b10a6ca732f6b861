"""deploy/README.md: every command in its ```bash blocks refers to things that exist: management
commands (Django's and the project's */management/commands/*.py), Celery subcommands, `serve`
modes and API key roles, files under deploy/, config/ and requirements/, docker compose services,
systemd units, Kubernetes objects and containers, and API endpoints of the interface contract.
Lines between <!-- planned --> and <!-- /planned --> are excluded (for commands not built yet)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.deploy._tools import DEPLOY, ROOT, load_yaml

RUNBOOK = DEPLOY / "README.md"
DJANGO_CORE = {
    "check", "compilemessages", "createcachetable", "dbshell", "diffsettings", "dumpdata", "flush",
    "inspectdb", "loaddata", "makemessages", "makemigrations", "migrate", "optimizemigration", "runserver",
    "sendtestemail", "shell", "showmigrations", "sqlflush", "sqlmigrate", "sqlsequencereset",
    "squashmigrations", "startapp", "startproject", "test", "testserver",
}
DJANGO_CONTRIB = {  # app -> its commands, counted when the app is in INSTALLED_APPS
    "django.contrib.auth": {"changepassword", "createsuperuser"},
    "django.contrib.contenttypes": {"remove_stale_contenttypes"},
    "django.contrib.sessions": {"clearsessions"},
    "django.contrib.staticfiles": {"collectstatic", "findstatic"},
    "django.contrib.sites": set(),
}
CELERY_COMMANDS = {"worker", "beat", "events", "call", "inspect", "control", "status", "purge", "result",
                   "migrate", "shell", "multi", "graph", "list", "logtool", "amqp", "upgrade", "report", "flower"}
CELERY_INSPECT = {"active", "active_queues", "clock", "conf", "memdump", "memsample", "objgraph", "ping",
                  "query_task", "registered", "report", "reserved", "revoked", "scheduled", "stats"}
CELERY_CONTROL = {"add_consumer", "cancel_consumer", "autoscale", "disable_events", "enable_events", "election",
                  "heartbeat", "pool_grow", "pool_restart", "pool_shrink", "rate_limit", "revoke", "shutdown",
                  "terminate", "time_limit"}
SERVE_MODES = {"all", "api", "dispatcher", "control", "worker"}
ROLES = {"Admin", "TaskRead", "TaskWrite", "WorkerRead", "WorkerWrite", "SystemRead"}
ENDPOINTS = [re.compile(p) for p in (
    r"/health", r"/metrics", r"/dashboard/?", r"/admin/.*", r"/api/system/(info|health/detailed|reload-config)",
    r"/api/v1/(tasks|runs|workers|instances|dlq)/([^/]+/)?", r"/api/v1/tasks/[^/]+/trigger/",
    r"/api/v1/runs/[^/]+/cancel/", r"/api/v1/workers/[^/]+/(drain|resume)/", r"/api/v1/stats",
    r"/api/v1/schema/", r"/api/v1/auth/token/", r"/api/v1/(runs/[^/]+/)?events",
)]
K8S_KINDS = {"deployment": "Deployment", "deploy": "Deployment", "job": "Job", "service": "Service",
             "svc": "Service", "configmap": "ConfigMap", "cm": "ConfigMap", "secret": "Secret",
             "pdb": "PodDisruptionBudget", "statefulset": "StatefulSet", "sts": "StatefulSet"}
COMPOSE_VALUE_FLAGS = {"-f", "--file", "--env-file", "--profile", "-p", "--project-name", "--scale", "-e", "--env",
                       "--name", "-u", "--user", "-w", "--workdir", "--entrypoint", "--timeout", "--tail",
                       "--since", "--index"}
COMPOSE_ONE_SERVICE = {"exec", "run"}
COMPOSE_SERVICES = {"up", "logs", "restart", "stop", "start", "ps", "pull", "kill", "rm", "build", "create",
                    "pause", "unpause", "top"}


def bash_blocks(markdown: str) -> list[list[str]]:
    """The ```bash blocks outside the planned section, each a list of commands (continuation
    lines joined)."""
    markdown = re.sub(r"<!-- planned -->.*?<!-- /planned -->", "", markdown, flags=re.DOTALL)
    blocks = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL):
        commands = []
        for command in re.sub(r"\\\n\s*", " ", block).splitlines():
            command = command.strip()
            if command and not command.startswith("#"):
                commands.append(command)
        blocks.append(commands)
    return blocks


def bash_commands(markdown: str) -> list[str]:
    return [command for block in bash_blocks(markdown) for command in block]


def management_commands(root: Path = ROOT) -> set[str]:
    found = set(DJANGO_CORE)
    settings = (root / "scheduler_project" / "settings.py").read_text()
    for app, commands in DJANGO_CONTRIB.items():
        if f'"{app}"' in settings or f"'{app}'" in settings:
            found |= commands
    for path in root.glob("*/management/commands/*.py"):
        if not path.name.startswith("_"):
            found.add(path.stem)
    return found


def segments(command: str) -> list[list[str]]:
    """The simple commands of a line (split at | && || ; and redirections), as shlex tokens."""
    try:
        tokens = shlex.split(command, comments=True)
    except ValueError:
        tokens = command.split()
    out, current = [], []
    for token in tokens:
        if token in ("|", "||", "&&", ";", "&") or token.startswith((">", "<")):
            if current:
                out.append(current)
            current = []
        else:
            current.append(token)
    if current:
        out.append(current)
    return out


def _compose_problems(tokens: list[str], compose_default: Path, cwd: Path = ROOT) -> list[str]:
    i = tokens.index("compose") + 1
    compose_file = compose_default
    while i < len(tokens) and tokens[i].startswith("-"):
        if tokens[i] in ("-f", "--file"):
            compose_file = cwd / tokens[i + 1]
            if not compose_file.is_file():
                return [f"docker compose -f {tokens[i + 1]}: no such file in {cwd.relative_to(ROOT.parent)}"]
        i += 2 if tokens[i] in COMPOSE_VALUE_FLAGS else 1
    if i >= len(tokens) or not compose_file.is_file():
        return []
    sub, rest = tokens[i], tokens[i + 1:]
    services = set(load_yaml(compose_file)["services"])
    named, positionals, j = [], [], 0
    while j < len(rest):
        if rest[j] == "--scale":
            named.append(rest[j + 1].split("=")[0])
        if rest[j].startswith("-"):
            j += 2 if rest[j] in COMPOSE_VALUE_FLAGS else 1
            continue
        positionals.append(rest[j])
        j += 1
    if sub in COMPOSE_ONE_SERVICE and positionals:
        named.append(positionals[0])
    elif sub in COMPOSE_SERVICES:
        named += positionals
    return [f"docker compose {sub}: no service {name!r} in {compose_file.name}" for name in named
            if name not in services]


def _kubectl_problems(tokens: list[str], k8s_objects: dict, containers: dict) -> list[str]:
    problems = []
    for prev, token in zip(["", *tokens], tokens):
        match = re.fullmatch(r"([a-z]+)/([\w.-]+)", token)
        if match and prev not in ("-f", "-k", "--filename") and match.group(1) in K8S_KINDS:
            kind = K8S_KINDS[match.group(1)]
            if (kind, match.group(2)) not in k8s_objects:
                problems.append(f"kubectl: no {kind} {match.group(2)!r} in deploy/k8s")
    if tokens[1:4] == ["set", "image"] or "set" in tokens and "image" in tokens:
        target = next((t for t in tokens if t.startswith(("deployment/", "deploy/"))), None)
        for token in tokens:
            if "=" in token and not token.startswith("-") and target:
                container = token.split("=")[0]
                if container not in containers.get(target.split("/")[1], set()):
                    problems.append(f"kubectl set image: no container {container!r} in {target}")
    return problems


def runbook_problems(markdown: str, root: Path = ROOT) -> list[str]:
    commands = management_commands(root)
    units = {p.name for p in (root / "deploy" / "systemd").iterdir()}
    docs = [d for p in (root / "deploy" / "k8s").glob("*.yaml") for d in load_yaml(p, all_documents=True)]
    k8s_objects = {(d["kind"], d["metadata"]["name"]) for d in docs if "kind" in d and "metadata" in d}
    containers = {d["metadata"]["name"]: {c["name"] for c in d["spec"]["template"]["spec"]["containers"]}
                  for d in docs if d.get("kind") == "Deployment"}
    compose_default = root / "deploy" / "docker-compose.yml"
    problems = []
    created: set[str] = set()  # files the runbook itself creates (destination of cp / install / mv)
    lines = []
    for block in bash_blocks(markdown):
        cwd = root  # a block starts at the repository root; `cd deploy` moves it
        for line in block:
            for tokens in segments(line):
                if tokens[0] == "cd" and len(tokens) == 2 and (root / tokens[1]).is_dir():
                    cwd = root / tokens[1]
            lines.append((line, cwd))
    for line, cwd in lines:
        found = []
        if cwd != root:  # the seed's relative paths, run from deploy/: ./scripts/..., k8s/..., -f files
            for token in (t for tokens in segments(line) for t in tokens):
                if re.fullmatch(r"(\./)?(scripts|k8s|monitoring|systemd|config)/[\w./-]+", token) and not (cwd / token).exists():
                    found.append(f"{token}: no such file in {cwd.name}/")
        for tokens in segments(line):
            if tokens[0] in ("cp", "install", "mv") and len(tokens) > 2:
                created.add(tokens[-1])
        for name in re.findall(r"manage\.py\s+([A-Za-z_][\w-]*)", line):
            if name not in commands:
                found.append(f"manage.py {name}: no such management command")
        for sub in re.findall(r"manage\.py\s+config\s+(\S+)", line):
            if sub != "validate":
                found.append(f"manage.py config {sub}: only `config validate` exists")
        for mode in re.findall(r"--mode[ =]([\w-]+)", line):
            if mode not in SERVE_MODES:
                found.append(f"serve --mode {mode}: unknown mode")
        for role in re.findall(r"--role[ =]([\w-]+)", line):
            if role not in ROLES:
                found.append(f"--role {role}: unknown role")
        for sub, arg in re.findall(r"celery\s+-A\s+scheduler_project\s+([\w-]+)(?:\s+([\w-]+))?", line):
            if sub not in CELERY_COMMANDS:
                found.append(f"celery {sub}: no such subcommand")
            elif sub == "inspect" and arg not in CELERY_INSPECT:
                found.append(f"celery inspect {arg}: no such inspect command")
            elif sub == "control" and arg not in CELERY_CONTROL:
                found.append(f"celery control {arg}: no such control command")
        for path in re.findall(r"(?<![\w./$-])((?:deploy|config|requirements)/[\w./*@-]*)", line):
            path = path.rstrip(".")
            if path not in created and not (list(root.glob(path)) if "*" in path else (root / path).exists()):
                found.append(f"{path}: no such file")
        for url_path in re.findall(r"https?://(?:localhost|127\.0\.0\.1):8080(/[^\s\"'|]*)", line):
            if not any(p.fullmatch(url_path) for p in ENDPOINTS):
                found.append(f"{url_path}: not an endpoint of the interface contract")
        for tokens in segments(line):
            if tokens[:2] == ["docker", "compose"]:
                found += _compose_problems(tokens, compose_default if cwd == root else cwd / "docker-compose.yml", cwd)
            if tokens[0] == "kubectl":
                found += _kubectl_problems(tokens, k8s_objects, containers)
            if tokens[0] in ("systemctl", "journalctl"):
                for name, suffix in re.findall(r"\b(taskplane[\w-]*)(@|\.target|\.service)?", " ".join(tokens)):
                    unit = f"{name}@.service" if suffix == "@" else name + (suffix or ".service")
                    if unit not in units:
                        found.append(f"{unit}: no such unit in deploy/systemd")
        problems += [f"{problem}    <- {line}" for problem in found]
    return problems


def test_every_runbook_command_refers_to_something_that_exists():
    commands = bash_commands(RUNBOOK.read_text())
    assert len(commands) > 50, "the runbook lost its commands"
    assert runbook_problems(RUNBOOK.read_text()) == []


def test_runbook_covers_the_operations():
    text = " ".join(bash_commands(RUNBOOK.read_text()))
    for needed in ("manage.py migrate", "manage.py createsuperuser", "manage.py createapikey",
                   "manage.py config validate --file config/production.toml", "pg_dump", "psql",
                   "rabbitmqctl list_queues", "rabbitmqctl list_connections", "redis-cli info",
                   "redis-cli KEYS", "redis-cli XINFO", "redis-cli XPENDING", "redis-cli XLEN", "redis-cli SMEMBERS",
                   "/health", "/api/system/info", "/api/system/health/detailed", "/metrics | grep scheduler_",
                   "/drain/", "/resume/", "--scale api=", "--replicas=", "cancel_consumer",
                   "manage.py workers status", "manage.py workers drain", "manage.py instances stepdown",
                   "manage.py dlq list", "manage.py cleanup --older-than", "manage.py vacuum", "manage.py reindex"):
        assert needed in text, needed


def test_checker_reports_everything_that_does_not_exist():
    broken = """
```bash
python manage.py frobnicate
python manage.py serve --mode everything
python manage.py createapikey --name x --role God
celery -A scheduler_project wrk
celery -A scheduler_project inspect pingg
kubectl apply -f deploy/k8s/nope.yaml
kubectl -n scheduler rollout restart deployment/scheduler-nope
kubectl -n scheduler set image deployment/scheduler-api apii=taskplane:v2
docker compose exec apii python manage.py migrate
docker compose -f deploy/docker-compose.dev.yml up -d api
cd deploy && ./scripts/wait-for-nothing.sh && kubectl apply -f k8s/nope.yaml
systemctl restart taskplane-nope taskplane-worker@x
curl http://localhost:8080/api/v2/things
```
<!-- planned -->
```bash
python manage.py later-command
```
<!-- /planned -->
"""
    problems = "\n".join(runbook_problems(broken))
    for expected in ("manage.py frobnicate: no such management command", "serve --mode everything",
                     "--role God", "celery wrk", "celery inspect pingg", "deploy/k8s/nope.yaml: no such file",
                     "no Deployment 'scheduler-nope'", "no container 'apii'", "no service 'apii'",
                     "no service 'api' in docker-compose.dev.yml", "taskplane-nope.service: no such unit",
                     "/api/v2/things: not an endpoint", "./scripts/wait-for-nothing.sh: no such file in deploy/",
                     "k8s/nope.yaml: no such file in deploy/"):
        assert expected in problems, expected
    assert "later-command" not in problems
    assert "taskplane-worker@.service" not in problems
