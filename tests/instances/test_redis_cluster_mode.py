"""Cluster mode against a real Redis Cluster of three masters, started on free ports."""

import random
import socket
import subprocess

import pytest
import redis

from instances_app import deadletters, inbox, presence, sweeper
from instances_app.lease import Lease
from scheduler_project import embedded
from scheduler_project.redis_store import keys
from scheduler_project.redis_store.client import get_redis
from scheduler_project.supervisor import _die_with_parent
from tests.support.processes import wait_for
from tests.support.redis import phase2_settings


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too; Redis needs it below 55536."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ports = [cluster_port() for _ in range(3)]
    processes = []
    for port in ports:
        data = tmp_path_factory.mktemp(f"cluster-{port}")
        argv = embedded.server_argv(port, data) + ["--cluster-enabled", "yes",
                                                   "--cluster-config-file", str(data / "nodes.conf")]
        processes.append(subprocess.Popen(argv, preexec_fn=_die_with_parent))
    try:
        for port, process in zip(ports, processes):
            embedded.wait_until_answering(port, process=process)
        nodes = [redis.Redis(port=port) for port in ports]
        per_node = 16384 // 3 + 1
        for index, node in enumerate(nodes):
            node.execute_command("CLUSTER ADDSLOTS", *range(index * per_node, min(16384, (index + 1) * per_node)))
        for node in nodes[1:]:
            node.execute_command("CLUSTER MEET", "127.0.0.1", ports[0])
        wait_for(lambda: all(n.cluster("info").get("cluster_state") == "ok" for n in nodes), 30, "the cluster to form")
        yield [f"redis://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def cluster_mode(cluster, redis_prefix, settings):
    p2 = settings.TP.scheduler.phase2
    phase2_settings(settings, redis=p2.redis.model_copy(update={"mode": "cluster", "cluster_urls": cluster}))
    wait_for(lambda: get_redis().ping(), 10, "the cluster client")


def test_presence_lease_inbox_and_dlq_work_on_a_cluster(cluster_mode, settings):
    client = get_redis()
    assert isinstance(client, redis.RedisCluster)
    presence.announce("a")
    presence.announce("b")
    assert sorted(i["instance_id"] for i in presence.live_instances()) == ["a", "b"]  # SCAN over every master
    assert Lease("a").hold() and not Lease("b").hold()

    # An inbox, its DLQ and its error history share the {instance:ID} hash slot.
    slots = {client.keyslot(name) for name in (keys.inbox("b"), keys.dlq("b"), keys.errors("b"))}
    assert len(slots) == 1
    phase2_settings(settings, dlq_min_idle_ms=100, dlq_max_deliveries=1)
    inbox.ensure_group("b")
    inbox.enqueue("b", "command", {"name": "nope"})
    inbox.read_and_handle("b", "b:1", block_ms=10)
    wait_for(lambda: sweeper.sweep_inbox("b")["dead_lettered"], 5, "the poison to be dead-lettered", interval=0.2)
    assert deadletters.depth("b") == 1


def test_node_snapshots_are_stored_and_read_across_slots(cluster_mode):
    from django.utils import timezone

    from workers_app.services import snapshots

    ids = [f"node-{n}" for n in range(6)]  # their snapshot keys fall in several hash slots
    assert len({get_redis().keyslot(keys.node_snapshot(i)) for i in ids}) > 1
    for node_id in ids:
        snapshots.store({"worker_id": node_id, "node": f"worker@{node_id}", "concurrency": 1, "running": [],
                         "queues": ["tasks.shell"], "consuming": ["tasks.shell"], "at": timezone.now().isoformat()})
    get_redis().delete(keys.node_snapshot("node-5"))  # its TTL ran out
    beats, expired = snapshots.read_all()
    assert sorted(b["worker_id"] for b in beats) == ids[:5] and expired == ["node-5"]
