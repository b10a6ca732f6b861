import pytest

from tasks_app.models import Task


@pytest.fixture
def make_task(db):
    def make(name="t", type="shell", spec=None, **fields):
        spec = spec or ({"command": "true"} if type == "shell" else {"url": "http://127.0.0.1:9/"})
        return Task.objects.create(name=name, type=type, spec=spec, **fields)

    return make


@pytest.fixture
def no_publish(monkeypatch):
    """Unit tests of the engine: record what would be published instead of talking to a broker."""
    sent = []
    from celery import current_app

    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: sent.append((name, kw)))
    return sent
