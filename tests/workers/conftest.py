import pytest
from celery import current_app
from django.utils import timezone

from workers_app.services import record_heartbeat


@pytest.fixture
def orders(monkeypatch):
    """Remote-control orders sent to nodes, recorded instead of broadcast."""
    sent = []
    control = current_app.control
    monkeypatch.setattr(control, "cancel_consumer", lambda q, destination: sent.append(("cancel", q, destination)))
    monkeypatch.setattr(control, "add_consumer", lambda q, destination: sent.append(("add", q, destination)))
    return sent


@pytest.fixture
def beat(db):
    def send(worker_id="w1", at=None, **fields):
        values = {"worker_id": worker_id, "node": f"worker@{worker_id}", "concurrency": 2, "running": [],
                  "queues": ["tasks.shell"], "consuming": ["tasks.shell"], "executions_started": 0,
                  "at": (at or timezone.now()).isoformat(), **fields}
        return record_heartbeat(values)

    return send


from tests.engine.conftest import make_task, no_publish  # noqa: E402,F401  shared engine fixtures
