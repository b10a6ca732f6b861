"""Replaying a dead letter reads the dead run once: the audit snapshot and the action share
the base's cached lookup, and the snapshot does not lazy-load deferred output fields."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_the_dead_run_is_read_once(admin_client, make_task, make_run):
    dead = make_run(make_task(), "dead", error="retries exhausted", attempt=4)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(f"/api/v1/deadletters/run-{dead.pk}/replay/", {}, format="json")
    assert response.status_code == 201, response.content
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")
             and 'FROM "tasks_app_run"' in q["sql"] and re.search(rf'"tasks_app_run"\."id" = {dead.pk}\b', q["sql"])]
    assert len(reads) == 1, reads
