from django.utils import timezone


def test_stats_count_runs_by_status_workers_and_tasks(key_client, make_task, make_run, make_worker):
    task = make_task()
    make_task("off", enabled=False)
    make_run(task, "succeeded")
    make_run(task, "failed")
    make_run(task, "failed", created_at=timezone.now() - timezone.timedelta(hours=3))
    make_run(task, "dead", created_at=timezone.now() - timezone.timedelta(days=2))
    make_worker("w1")
    make_worker("w2", status="lost")

    body = key_client("SystemRead").get("/api/v1/stats").json()
    assert body["runs"]["last_hour"]["failed"] == 1 and body["runs"]["last_hour"]["succeeded"] == 1
    assert body["runs"]["last_24h"]["failed"] == 2 and body["runs"]["last_24h"]["dead"] == 0
    assert body["workers"] == {"online": 1, "draining": 0, "offline": 0, "lost": 1}
    assert body["tasks"] == {"total": 2, "enabled": 1}
    assert key_client("SystemRead").get("/api/v1/stats/").json()["tasks"] == {"total": 2, "enabled": 1}
