from django.conf import settings


def test_health_answers_without_touching_any_dependency(client):
    # No db fixture: pytest-django makes any database access here an error.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": settings.VERSION, "instance_id": settings.INSTANCE_ID}


def test_metrics_are_exposed(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests" in response.content
