"""`pip install .` gives a working `taskplane` command (pyproject.toml): the wheel holds every
app, its templates and migrations and the default configuration; installed elsewhere and run
from an empty directory, `taskplane` validates its configuration, migrates (its data in ./var of
that directory) and serves the api's /health. The old system's command names are installed with
it and work the same way: `scheduler config validate --file`, `scheduler-cli task list`,
`scheduler-cli data cleanup --older-than 30d`, `scheduler-api`, and the remote client
`scheduler-cli --url`. pyproject's dependency ranges hold the pins of requirements/ (one tested
tree), and Flower is an optional extra."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from scheduler_project.config import BASE_DIR
from tests.services import free_port
from tests.support.processes import http_get, reap, wait_for

PYPROJECT = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
SEED_SCRIPTS = ("taskplane", "scheduler", "scheduler-api", "scheduler-dispatcher", "scheduler-worker", "scheduler-cli",
                "taskplane-cli")


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (BASE_DIR / "requirements" / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^]]*\])?==([^\s;]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_the_declared_ranges_hold_the_pinned_versions():
    base, flower = pins("base.txt"), pins("flower.txt")
    for spec in PYPROJECT["dependencies"]:
        requirement = Requirement(spec)
        name = requirement.name.lower().replace("_", "-")
        assert name in base, f"{name} is declared in pyproject.toml but not pinned in requirements/base.txt"
        assert requirement.specifier.contains(base[name]), f"{name}=={base[name]} is outside {requirement.specifier}"
    extra = [Requirement(s) for s in PYPROJECT["optional-dependencies"]["flower"]]
    assert [r.name for r in extra] == ["flower"] and extra[0].specifier.contains(flower["flower"])
    assert "flower" not in base, "Flower stays out of base.txt (and so out of worker images)"
    assert PYPROJECT["scripts"]["taskplane"] == "scheduler_project.cli:main"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the tree, installed (without its dependencies, which
    this environment has) into a directory of its own."""
    tmp = tmp_path_factory.mktemp("package")
    source = tmp / "source"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=BASE_DIR,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        origin, target = BASE_DIR / name, source / name
        if origin.is_symlink() or origin.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_symlink():
                target.symlink_to(os.readlink(origin))
            else:
                shutil.copy2(origin, target)
    wheels = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(wheels), str(source)], check=True, timeout=300, capture_output=True)
    wheel = next(wheels.glob("taskplane-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("scheduler_project/default_config/base.toml", "scheduler_project/default_config/production.toml",
                   "monitoring_app/templates/dashboard/index.html", "tasks_app/migrations/0001_initial.py",
                   "scheduler_project/cli.py"):
        assert needed in names, f"{needed} is missing from the wheel"
    target = tmp / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                   check=True, timeout=300, capture_output=True)
    for script in SEED_SCRIPTS:
        assert (target / "bin" / script).is_file(), f"pip did not install the {script} command"
    return target


def command_env(installed: Path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "MESSAGE_QUEUE_URL", "MESSAGE_QUEUE_TYPE", "ENVIRONMENT",
                        "TASKPLANE_CONFIG", "DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(PYTHONPATH=str(installed), PYTHONUNBUFFERED="1", **extra)
    return env


def test_the_installed_command_runs_from_any_directory(installed, tmp_path):
    taskplane = str(installed / "bin" / "taskplane")
    api_port, redis_port = free_port(), free_port()
    (tmp_path / "local.toml").write_text(
        f'[api]\nbind_address = "127.0.0.1:{api_port}"\nworkers = 1\n\n[embedded]\nredis_port = {redis_port}\n')
    env = command_env(installed, TASKPLANE_CONFIG="local.toml")

    where = subprocess.run([sys.executable, "-c", "import scheduler_project; print(scheduler_project.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.startswith(str(installed)), "the command must run the installed package, not the tree"

    validated = subprocess.run([taskplane, "config", "validate"], cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=60)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "default_config/base.toml" in validated.stdout and "local.toml" in validated.stdout

    migrated = subprocess.run([taskplane, "migrate", "--noinput", "--verbosity", "0"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "var" / "taskplane.sqlite3").is_file(), "data belongs to the directory it runs in"

    log = open(tmp_path / "serve.log", "w+")
    server = subprocess.Popen([taskplane, "serve", "--mode", "api"], cwd=tmp_path, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: server.poll() is not None or http_get(api_port, "/health")[0] == 200, 60,
                 lambda: f"/health of `taskplane serve --mode api`: {(tmp_path / 'serve.log').read_text()[-2000:]}")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
    finally:
        reap(server)


def test_the_seed_command_names_are_installed_and_work(installed, tmp_path):
    """The old system's names, as pip installed them, run from an empty directory: the same
    configuration check, the operator commands in the seed's words, a server role, and the
    remote client against that server."""
    bin_dir = installed / "bin"
    api_port, redis_port = free_port(), free_port()
    (tmp_path / "local.toml").write_text(
        f'[api]\nbind_address = "127.0.0.1:{api_port}"\nworkers = 1\n\n[embedded]\nredis_port = {redis_port}\n'
        '\n[api.auth]\nenabled = false\n')
    env = command_env(installed, TASKPLANE_CONFIG="local.toml")

    def run(*argv, timeout=120):
        return subprocess.run([str(bin_dir / argv[0]), *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=timeout)

    validated = run("scheduler", "config", "validate", "--file", "local.toml")
    assert validated.returncode == 0 and "Configuration is valid." in validated.stdout, validated.stderr
    assert run("scheduler", "migrate", "--noinput", "--verbosity", "0").returncode == 0
    listed = run("scheduler-cli", "task", "list")
    assert listed.returncode == 0 and listed.stdout.strip() == "no tasks defined", listed.stderr
    cleaned = run("scheduler-cli", "data", "cleanup", "--older-than", "30d")
    assert cleaned.returncode == 0 and "deleted 0 run(s)" in cleaned.stdout, cleaned.stderr
    refused = run("scheduler-cli", "worker", "drain", "vm", "--deadlin", "60")
    assert refused.returncode == 2 and "unrecognized arguments: --deadlin" in refused.stderr

    # scheduler-api serves with the embedded Redis (none is configured); the remote client reaches it.
    log = open(tmp_path / "serve.log", "w+")
    server = subprocess.Popen([str(bin_dir / "scheduler-api")], cwd=tmp_path, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: server.poll() is not None or http_get(api_port, "/health")[0] == 200, 60,
                 lambda: f"/health of `scheduler-api`: {(tmp_path / 'serve.log').read_text()[-2000:]}")
        remote = subprocess.run([str(bin_dir / "taskplane-cli"), "--url", f"http://127.0.0.1:{api_port}", "tasks", "list"],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert remote.returncode == 0 and remote.stdout.strip() == "no tasks defined", remote.stdout + remote.stderr
    finally:
        reap(server)
