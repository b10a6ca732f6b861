from workers_app.models import Worker


def test_the_admin_lists_health_and_drains_and_resumes(admin_client, beat, orders):
    beat("n1")
    Worker.objects.filter(worker_id="n1").update(stalled_since="2026-01-01T00:00:00Z")
    page = admin_client.get("/admin/workers_app/worker/").content.decode()
    assert "STALLED: alive but not consuming" in page

    pk = Worker.objects.get().pk
    admin_client.post("/admin/workers_app/worker/", {"action": "drain", "_selected_action": [pk]})
    worker = Worker.objects.get()
    assert worker.status == "draining" and worker.drain_requested_by == "admin:admin"
    admin_client.post("/admin/workers_app/worker/", {"action": "resume", "_selected_action": [pk]})
    assert Worker.objects.get().status == "online"
