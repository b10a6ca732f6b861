"""A replica further behind the primary than replica_max_lag_seconds is skipped: reads go to
the primary, and /api/system/health/detailed says why. Once it has caught up it is used again."""

from tests.support.processes import wait_for


def replica_backend_query(pg) -> str:
    """The last statement the api ran on the replica (its connections are named taskplane-api)."""
    rows = pg.psql(pg.replica_port, "SELECT query FROM pg_stat_activity WHERE application_name = 'taskplane-api' "
                                    "ORDER BY query_start DESC LIMIT 1")
    return rows[0][0] if rows else ""


def test_a_replica_over_the_lag_bound_is_skipped_and_comes_back(replicated_api, pg):
    api = replicated_api(max_lag=2, interval=0.5)
    api.wait_replica(fit=True)

    pg.pause_replay()
    writer = api.session()
    created = writer.post(api.url("/api/v1/tasks/"), json={"name": "while-lagging", "type": "shell",
                                                            "spec": {"command": "true"}}, timeout=30)
    assert created.status_code == 201, created.text

    row = api.wait_replica(fit=False, timeout=60)
    assert row["lag_seconds"] > 2 and row["bytes_behind"] > 0
    assert "over replica_max_lag_seconds (2)" in row["error"]
    health = api.get("/api/system/health/detailed").json()
    assert health["checks"]["database_replicas"]["status"] == "warning"
    assert health["checks"]["database_replicas"]["detail"] == "0 of 1 in use"
    # Skipped: an unpinned reader sees the write, from the primary.
    tasks = api.get("/api/v1/tasks/").json()["results"]
    assert "while-lagging" in {t["name"] for t in tasks}

    pg.resume_replay()
    row = api.wait_replica(fit=True, timeout=60)
    assert row["lag_seconds"] <= 2 and row["error"] == ""
    assert api.get("/api/system/health/detailed").json()["checks"]["database_replicas"]["detail"] == "1 of 1 in use"
    # Used again: the api's connection on the replica runs the next list.
    marker = "replica-comes-back"
    assert api.get(f"/api/v1/tasks/?name={marker}").status_code == 200
    wait_for(lambda: marker in replica_backend_query(pg), 30,
             lambda: f"the tasks query on the replica (last: {replica_backend_query(pg)!r})")
