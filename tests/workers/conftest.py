import pytest
from celery import current_app

from tests import factories


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
        return factories.heartbeat(worker_id, at, **{"queues": ["tasks.shell"], "consuming": ["tasks.shell"],
                                                     "executions_started": 0, **fields})

    return send

