"""Fixtures of the read-replica tests: a private PostgreSQL primary with a real streaming
replica (tests/support/postgres_replication.py), and an api role started on them with the
replica in [database.read_replicas]."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest
import requests

from tests.support.platform import Platform
from tests.support.postgres_replication import missing, start_pair
from tests.support.processes import MANAGE, wait_for

API_KEY = "tp-replica-tests-admin-key-0123456789abcdef"


@pytest.fixture(scope="session")
def replicated_postgres():
    reason = missing()
    if reason:
        pytest.skip(f"no PostgreSQL replica can be started here: {reason}")
    pair = start_pair()
    try:
        pair.migrate(dict(os.environ), MANAGE)
        pair.start_replica()
        yield pair
    finally:
        pair.stop()


@pytest.fixture
def pg(replicated_postgres):
    """The pair, its replica running, replaying, and caught up (whatever the last test did)."""
    pair = replicated_postgres
    if not pair.in_recovery():
        pair.start_replica()
    pair.resume_replay()
    pair.wait_until(pair.caught_up, 60, "the replica to catch up with the primary")
    yield pair
    if pair.in_recovery():
        pair.resume_replay()


@dataclass
class ReplicatedApi:
    platform: Platform
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    def session(self) -> requests.Session:
        """A client that keeps cookies (so its writes pin it to the primary for a while)."""
        session = requests.Session()
        session.headers["X-API-Key"] = API_KEY
        return session

    def get(self, path: str, headers: dict | None = None, **kwargs) -> requests.Response:
        """A read by a client without a session: never pinned, so a replica may answer it."""
        return requests.get(self.url(path), headers={"X-API-Key": API_KEY, **(headers or {})}, timeout=30, **kwargs)

    def replica(self, name: str = "r1") -> dict:
        body = self.get("/api/system/health/detailed").json()
        return next(row for row in body["replicas"] if row["name"] == name)

    def wait_replica(self, fit: bool, timeout: float = 60, name: str = "r1") -> dict:
        return wait_for(lambda: (lambda row: row if row["fit"] is fit else None)(self.replica(name)), timeout,
                        lambda: f"replica {name} to be {'fit' if fit else 'skipped'}: {self.replica(name)}")


@pytest.fixture
def replicated_api(tmp_path, pg, request):
    """replicated_api(max_lag=..., interval=...) -> a running api role whose replica r1 is pg's."""
    platforms: list[Platform] = []

    def start(max_lag: float = 600, interval: float = 0.5) -> ReplicatedApi:
        home = tmp_path / f"api-{len(platforms)}"
        home.mkdir()
        platform = Platform(home)
        platforms.append(platform)
        platform.env.update(DATABASE_URL=pg.primary_url, TEST_REPLICA_URL=pg.replica_url,
                            API_KEYS=json.dumps({API_KEY: ["Admin"]}))
        platform.reconfigure(append=f"""
[database]
replica_max_lag_seconds = {max_lag}
replica_check_interval_seconds = {interval}
replica_check_timeout_seconds = 1

[database.read_replicas]
r1 = "${{TEST_REPLICA_URL}}"
""")
        platform.start("api")
        api = ReplicatedApi(platform, f"http://127.0.0.1:{platform.api_port}")

        def answering():
            try:
                return requests.get(api.url("/health"), timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answering, 60, lambda: f"the api to answer:\n{platform.logs()}")
        return api

    yield start
    for platform in platforms:
        platform.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for platform in platforms:
            print(platform.logs())
