"""A replica killed while the api reads from it fails no request: the requests it was serving
are answered from the primary, the next ones go to the primary, and once the replica is back
and caught up reads go to it again."""

import threading

from tests.support.processes import wait_for

PATHS = ["/api/v1/tasks/", "/api/v1/runs/", "/api/v1/workers/", "/api/v1/audit/", "/api/v1/stats",
         "/dashboard/data", "/metrics"]


class Readers:
    """Threads reading PATHS (and one task's detail) without pause, as unpinned clients."""

    def __init__(self, api, task_id: int, threads: int = 4):
        self.api, self.paths = api, [*PATHS, f"/api/v1/tasks/{task_id}/"]
        self.done = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(i,), daemon=True) for i in range(threads)]

    def _read(self, offset: int) -> None:
        i = offset
        while not self.stopping.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                response = self.api.get(path)
                failure = "" if response.status_code == 200 else f"{path}: {response.status_code} {response.text[:300]}"
            except Exception as exc:  # noqa: BLE001  a failed request is what this test looks for
                failure = f"{path}: {type(exc).__name__}: {exc}"
            with self.lock:
                self.done += 1
                if failure:
                    self.failures.append(failure)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def wait_for_more(self, count: int, what: str) -> None:
        target = self.done + count
        wait_for(lambda: self.done >= target, 120, f"{count} more reads ({what})")


def api_connections_on_replica(pg) -> int:
    return pg.psql(pg.replica_port, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'taskplane-api'")[0][0]


def test_killing_the_replica_fails_no_request(replicated_api, pg):
    api = replicated_api(max_lag=600, interval=0.5)
    created = api.session().post(api.url("/api/v1/tasks/"), json={"name": "read-during-crash", "type": "shell",
                                                                   "spec": {"command": "true"}}, timeout=30)
    assert created.status_code == 201, created.text
    pg.wait_until(pg.caught_up, 30, "the replica to replay the task")
    api.wait_replica(fit=True)

    with Readers(api, created.json()["id"]) as readers:
        readers.wait_for_more(40, "from the replica")
        assert api_connections_on_replica(pg) > 0, "the reads went to the replica"

        pg.kill_replica()
        readers.wait_for_more(40, "while the replica is dead")
        row = api.wait_replica(fit=False, timeout=30)
        assert row["error"], row
        readers.wait_for_more(40, "with the replica known dead")

        pg.start_replica()
        api.wait_replica(fit=True, timeout=60)
        readers.wait_for_more(40, "with the replica back")
        wait_for(lambda: api_connections_on_replica(pg) > 0, 30, "the api to read from the restarted replica")

    assert readers.failures == [], f"{len(readers.failures)} of {readers.done} reads failed: {readers.failures[:5]}"
    assert readers.done >= 160
