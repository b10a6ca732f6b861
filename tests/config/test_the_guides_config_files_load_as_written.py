"""Every configuration file of both deployment guides loads as written: the keys that mean
something here are applied, the others are warnings naming the key and why; none is refused."""

import os
import re
from pathlib import Path

import pytest

from scheduler_project.config import BASE_DIR
from tests.config.helpers import GUIDE_ENV, GUIDE_FILES, SEEDS, load


@pytest.mark.parametrize("path", GUIDE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_file_loads(path):
    config = load(path, **GUIDE_ENV)
    for warning in config.warnings:
        assert warning.source == str(path.relative_to(BASE_DIR)), warning.describe()  # names its file
        assert warning.message.startswith("ignored: ") and len(warning.message) > 30, warning


def test_the_instance_file_of_the_second_guide_is_applied():
    config = load(SEEDS / "guide2" / "config-scheduler-1.toml", **{**GUIDE_ENV, "INSTANCE_ID": ""})
    tp = config.settings
    assert tp.api.bind_address == "0.0.0.0:5010"  # [server] host, port
    assert tp.worker.max_concurrent_tasks == 4  # [scheduler] max_concurrent_jobs_per_node
    assert tp.worker.heartbeat_interval_seconds == 15  # [scheduler] heartbeat_interval_seconds
    assert tp.scheduler.job_timeout_seconds == 30
    assert config.instance_id == "scheduler-1"
    assert tp.scheduler.phase2.redis.key_prefix == "lingua-prod"
    assert tp.scheduler.phase2.redis.url == "redis://your-redis-host:6379"
    mapped = {m.seed_key: m.key for m in config.mapped}
    assert mapped == {
        "server.host and server.port": "api.bind_address",
        "scheduler.max_concurrent_jobs_per_node": "worker.max_concurrent_tasks",
        "scheduler.heartbeat_interval_seconds": "worker.heartbeat_interval_seconds",
    }
    ignored = {w.path: w.message for w in config.warnings}
    assert set(ignored) == {"model_hub.base_url", "model_hub.storage_path",
                            "scheduler.phase2.node_snapshot.enabled", "scheduler.phase2.node_snapshot.refresh_interval_ms"}
    assert "no model hub" in ignored["model_hub.base_url"]


def test_the_first_guides_keys_without_an_equivalent_are_named_with_the_reason():
    tuning_db = load(SEEDS / "guide1" / "08_tuning_database.toml", **GUIDE_ENV)
    (warning,) = tuning_db.warnings
    assert warning.path == "database.query_cache_size" and "no query result cache" in warning.message
    assert tuning_db.settings.database.statement_timeout_seconds == 30  # its neighbours still apply
    mq = load(SEEDS / "guide1" / "09_tuning_message_queue.toml", **GUIDE_ENV)
    assert {w.path for w in mq.warnings} == {"message_queue.redis.max_stream_length",
                                            "message_queue.redis.consumer_group_size"}
    assert mq.settings.message_queue.prefetch_count == 100
    assert mq.settings.message_queue.redis.read_timeout_seconds == 5
    worker = load(SEEDS / "guide1" / "10_tuning_worker.toml", **GUIDE_ENV)
    assert [w.path for w in worker.warnings] == ["worker.task_poll_interval_seconds"]
    assert worker.settings.worker.worker_memory_limit_mb == 2048


def test_top_level_database_url_and_worker_id_are_applied():
    path = SEEDS / "guide1" / "04_environment_variables.toml"
    config = load(path)
    assert config.settings.database.url == "postgresql://localhost:5432/scheduler"
    assert config.worker_id == "default-worker-001"
    config = load(path, DATABASE_URL="postgresql://elsewhere/db", WORKER_ID="w-7")
    assert (config.settings.database.url, config.worker_id) == ("postgresql://elsewhere/db", "w-7")


def test_read_replicas_and_pool_are_read():
    config = load(SEEDS / "guide1" / "14_read_replicas.toml", SEEDS / "guide1" / "15_pool.toml")
    db = config.settings.database
    assert db.url == "postgresql://postgres:pass@db-primary:5432/scheduler" and db.read_only is False
    assert db.read_replicas == {"replica1": "postgresql://postgres:pass@db-replica1:5432/scheduler",
                                "replica2": "postgresql://postgres:pass@db-replica2:5432/scheduler"}
    assert (db.pool.max_connections, db.pool.max_lifetime_seconds) == (100, 1800)


GUIDES = [Path(os.environ.get("TASKPLANE_SEED_GUIDES", "/work/shared/seeds")) / name
          for name in ("000_19afd610df4bb6de.txt", "002_aeaf8386a105dfbb.txt")]


@pytest.mark.skipif(not all(p.is_file() for p in GUIDES), reason="the deployment guides are not on this machine "
                    "(TASKPLANE_SEED_GUIDES names their directory)")
def test_the_fixtures_are_verbatim_copies_of_the_guides():
    blocks = [block for guide in GUIDES for block in re.findall(r"```toml\n(.*?)```", guide.read_text(), re.S)]
    fixtures = [p.read_text() for p in GUIDE_FILES if p.name != "configmap-config.toml"]
    assert sorted(fixtures) == sorted(blocks)
