"""deploy/scripts/wait-for-db.sh (the seed's ./scripts/wait-for-db.sh between the infrastructure
step and the others): shellcheck-clean; waits for the compose services' healthchecks or for a
PostgreSQL URL, and gives up at its deadline naming what is not ready."""

from __future__ import annotations

import os
import urllib.parse

import pytest

from tests.deploy._tools import DEPLOY, free_port, require_tool, run

SCRIPT = DEPLOY / "scripts" / "wait-for-db.sh"

FAKE_DOCKER = """#!/usr/bin/env bash
# `docker compose ...` and `docker inspect ...` as the script uses them; postgres turns healthy
# on look FAKE_POSTGRES_LOOKS (default 3), rabbitmq and redis at once, unless FAKE_STUCK names one.
state=$FAKE_STATE
case "$1" in
  compose)
    [ "$2" = version ] && exit 0
    shift 3; [ "$1" = ps ] && echo "id-${3}"; exit 0 ;;
  inspect)
    service=${4#id-}
    if [ "$service" = "${FAKE_STUCK:-}" ]; then echo starting; exit 0; fi
    n=$(( $(cat "$state/$service" 2>/dev/null || echo 0) + 1 )); echo $n > "$state/$service"
    if [ "$service" = postgres ] && [ $n -lt "${FAKE_POSTGRES_LOOKS:-3}" ]; then echo starting; else echo healthy; fi ;;
esac
"""


def test_it_is_shellcheck_clean_and_executable():
    assert run(["bash", "-n", str(SCRIPT)]).returncode == 0
    result = run([require_tool("shellcheck"), str(SCRIPT)])
    assert result.returncode == 0, result.stdout
    assert SCRIPT.stat().st_mode & 0o111


def fake_docker(tmp_path, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_STATE": str(state), **env}


def test_it_waits_until_every_infrastructure_service_is_healthy(tmp_path):
    result = run(["bash", str(SCRIPT), "--timeout", "30"], env=fake_docker(tmp_path), cwd=DEPLOY, timeout=60)
    assert result.returncode == 0, result.stdout
    assert [line for line in result.stdout.splitlines() if "is healthy" in line] == [
        "wait-for-db: postgres is healthy", "wait-for-db: rabbitmq is healthy", "wait-for-db: redis is healthy"]
    assert (tmp_path / "state" / "postgres").read_text().strip() == "3", "it looked again until postgres was healthy"


def test_it_gives_up_at_the_deadline_naming_the_service(tmp_path):
    result = run(["bash", str(SCRIPT), "--timeout", "3"], env=fake_docker(tmp_path, FAKE_STUCK="redis", FAKE_POSTGRES_LOOKS="1"),
                 cwd=DEPLOY, timeout=60)
    assert result.returncode == 1
    assert "redis is starting after 3s" in result.stdout


def test_a_url_that_never_answers_fails_at_the_deadline():
    result = run(["bash", str(SCRIPT), "--url", f"postgresql://u@127.0.0.1:{free_port()}/x", "--timeout", "2"],
                 timeout=60)
    assert result.returncode == 1 and "not ready after 2s" in result.stdout


def test_bad_usage_is_refused():
    assert run(["bash", str(SCRIPT), "--timeout", "soon"], timeout=30).returncode == 2
    assert run(["bash", str(SCRIPT), "--frobnicate"], timeout=30).returncode == 2


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="no PostgreSQL configured")
def test_a_live_postgresql_is_ready():
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    result = run(["bash", str(SCRIPT), "--url", url, "--timeout", "30"], timeout=60)
    assert result.returncode == 0 and "is ready" in result.stdout, result.stdout
