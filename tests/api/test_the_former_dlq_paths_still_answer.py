"""Dead letters have one name, /api/v1/deadletters/ (runs) and /api/v1/deadletters/inbox/; the former
/api/v1/dlq/ paths keep answering the same, so scripts written against them keep working."""


def test_the_dlq_paths_are_aliases(admin_client, make_task, make_run):
    dead = make_run(make_task(), "dead", error="retries exhausted")
    canonical = admin_client.get("/api/v1/deadletters/").json()
    alias = admin_client.get("/api/v1/dlq/").json()
    assert canonical == alias and [r["id"] for r in alias["results"]] == [f"run-{dead.pk}"]
    assert admin_client.get(f"/api/v1/dlq/run-{dead.pk}/").status_code == 200
    assert admin_client.get("/api/v1/dlq/inbox/").status_code == 200
    replayed = admin_client.post(f"/api/v1/dlq/run-{dead.pk}/replay/", {}, format="json")
    assert replayed.status_code == 201 and replayed.json()["replay_of"] == dead.pk


def test_the_aliases_stay_out_of_the_schema(admin_client):
    paths = admin_client.get("/api/v1/schema/?format=json").json()["paths"]
    assert "/api/v1/deadletters/" in paths and "/api/v1/deadletters/inbox/" in paths
    assert not [p for p in paths if p.startswith("/api/v1/dlq/")]
