"""With a replica in [database.read_replicas], the api's read-only requests (lists and details
of tasks, runs, workers and audit entries, stats, the dashboard, /metrics) read from it, while
writes go to the primary and the session that wrote reads from the primary for a while.

Shown with the replica's replay paused: what was written since is on the primary only, so a
read that does not see it was answered by the replica."""

from tests.support.processes import wait_for

WORKER_ROW = """
INSERT INTO workers_app_worker (worker_id, node, host, version, task_types, tags, queues, concurrency, status,
  running, reserved, last_listed, load, executions_started, executions_finished, consuming, first_seen,
  last_heartbeat, progress_at, drain_requested_by)
VALUES ('replica-test-node', '', '', '', '[]', '[]', '[]', 1, 'online', '[]', '[]', '{}', 0, 0, 0, '[]', now(), now(),
  now(), '')
"""


def names(response) -> set[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    return {row.get("name") or row.get("worker_id") for row in body.get("results", body)}


def test_reads_go_to_the_replica_and_the_writer_reads_its_writes(replicated_api, pg):
    api = replicated_api()
    row = api.wait_replica(fit=True)
    assert row["lag_seconds"] is not None and row["in_recovery"] is True and row["error"] == ""
    before = api.get("/api/v1/stats").json()["tasks"]["total"]

    pg.pause_replay()
    writer = api.session()
    created = writer.post(api.url("/api/v1/tasks/"), json={"name": "written-while-paused", "type": "shell",
                                                            "spec": {"command": "true"}}, timeout=30)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    run = writer.post(api.url(f"/api/v1/tasks/{task_id}/trigger/"), json={}, timeout=30)
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    pg.psql(pg.primary_port, WORKER_ROW)
    assert writer.cookies.get("taskplane_primary") == "1"  # the writer's session is pinned

    # The writer reads what it wrote: from the primary.
    assert "written-while-paused" in names(writer.get(api.url("/api/v1/tasks/"), timeout=30))
    assert writer.get(api.url(f"/api/v1/runs/{run_id}/"), timeout=30).status_code == 200
    assert any(e["object_id"] == str(task_id) for e in writer.get(api.url("/api/v1/audit/"), timeout=30).json()["results"])

    # Anyone else reads from the replica, which has not replayed any of it.
    assert "written-while-paused" not in names(api.get("/api/v1/tasks/"))
    assert api.get(f"/api/v1/tasks/{task_id}/").status_code == 404
    assert run_id not in {r["id"] for r in api.get("/api/v1/runs/").json()["results"]}
    assert api.get(f"/api/v1/runs/{run_id}/").status_code == 404
    assert "replica-test-node" not in names(api.get("/api/v1/workers/"))
    assert api.get("/api/v1/workers/replica-test-node/").status_code == 404
    assert not any(e["object_id"] == str(task_id) for e in api.get("/api/v1/audit/").json()["results"])
    assert api.get("/api/v1/stats").json()["tasks"]["total"] == before
    dashboard = api.get("/dashboard/data")
    assert dashboard.status_code == 200 and run_id not in {r["id"] for r in dashboard.json()["runs"]["recent"]}
    metrics = api.get("/metrics")
    assert metrics.status_code == 200 and 'scheduler_jobs_total{status="queued"} 0.0' in metrics.text

    # What authentication reads is always the primary's: a key made a moment ago works at once
    # for anyone, and a revoked one stops at once.
    key = writer.post(api.url("/api/v1/api-keys/"), json={"name": "fresh", "roles": ["TaskRead"]}, timeout=30).json()
    assert api.get("/api/v1/tasks/", headers={"X-API-Key": key["key"]}).status_code == 200
    revoked = writer.post(api.url(f"/api/v1/api-keys/{key['prefix']}/revoke/"), timeout=30)
    assert revoked.status_code == 200, revoked.text
    assert api.get("/api/v1/tasks/", headers={"X-API-Key": key["key"]}).status_code == 401

    # The replica's lag is shown.
    row = wait_for(lambda: (lambda r: r if r["bytes_behind"] else None)(api.replica()), 30, "the replica's lag")
    assert row["fit"] is True  # within the (generous) bound of this test

    # Caught up, the replica shows it all.
    pg.resume_replay()
    pg.wait_until(pg.caught_up, 30, "the replica to replay what the primary has")
    assert "written-while-paused" in names(api.get("/api/v1/tasks/"))
    assert api.get(f"/api/v1/runs/{run_id}/").status_code == 200
    assert api.get("/api/v1/workers/replica-test-node/").status_code == 200
    assert api.get("/api/v1/stats").json()["tasks"]["total"] == before + 1
