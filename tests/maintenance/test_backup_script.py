"""deploy/backup.sh against the real PostgreSQL: a dump and a config tarball in BACKUP_DIR,
readable only by their owner, older backups past RETENTION_DAYS removed, and a refusal
without a PostgreSQL DATABASE_URL."""

import os
import subprocess
import tarfile
import time

import pytest
from django.db import connection

from scheduler_project.config import BASE_DIR
from tasks_app.models import Task
from tests.support.processes import database_url_for_children

SCRIPT = str(BASE_DIR / "deploy" / "backup.sh")


def _run(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(["bash", SCRIPT], env={**clean, **env}, capture_output=True, text=True, timeout=120)


def _age(path, days: float) -> None:
    old = time.time() - days * 86400
    os.utime(path, (old, old))


def test_dump_config_and_retention(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backup.sh dumps PostgreSQL; this suite runs on SQLite")
    Task.objects.create(name="backed-up-task-7f3a", type="shell", spec={"command": "true"})
    backups = tmp_path / "backups"
    backups.mkdir()
    for name, days in (("db_20200101_000000.sql", 40), ("config_20200101_000000.tar.gz", 40),
                       ("db_20200201_000000.sql", 10), ("notes.txt", 400)):
        (backups / name).write_text("old")
        _age(backups / name, days)

    result = _run({"DATABASE_URL": database_url_for_children(), "BACKUP_DIR": str(backups)})

    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in backups.iterdir())
    dumps = [n for n in names if n.startswith("db_") and n != "db_20200201_000000.sql"]
    tars = [n for n in names if n.startswith("config_")]
    assert len(dumps) == 1 and len(tars) == 1, names
    assert "db_20200101_000000.sql" not in names and "config_20200101_000000.tar.gz" not in names
    assert {"db_20200201_000000.sql", "notes.txt"} <= set(names)  # younger, or not a backup: kept
    assert not [n for n in names if n.endswith(".partial")]
    dump = (backups / dumps[0]).read_text()
    assert "CREATE TABLE public.tasks_app_run" in dump and "backed-up-task-7f3a" in dump
    with tarfile.open(backups / tars[0]) as tar:
        assert "config/base.toml" in tar.getnames()
    assert (backups / dumps[0]).stat().st_mode & 0o077 == 0  # secrets inside: owner only


def test_it_refuses_without_a_postgresql_url(tmp_path):
    result = _run({"BACKUP_DIR": str(tmp_path)})
    assert result.returncode == 2 and "DATABASE_URL is not set" in result.stderr
    result = _run({"DATABASE_URL": "sqlite:///var/taskplane.sqlite3", "BACKUP_DIR": str(tmp_path)})
    assert result.returncode == 2 and "not a PostgreSQL URL" in result.stderr
    assert list(tmp_path.iterdir()) == []
