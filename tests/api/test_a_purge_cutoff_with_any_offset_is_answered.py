"""A purge's `older_than` moment is compared in UTC: an offset PostgreSQL refuses (beyond 15:59,
which Python's ISO parser takes) gives an answer, not a 500 (schemathesis found it)."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_cutoff_with_a_large_offset_purges_like_its_utc_moment(admin_client):
    response = admin_client.post("/api/v1/deadletters/purge/", {"older_than": "0197-04-26T11:23:34-17:38"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"source": "run", "deleted": 0}
    response = admin_client.post("/api/v1/deadletters/purge/", {"older_than": "9999-12-31T23:00:00-23:59"}, format="json")
    assert response.status_code == 400 and "out of range" in response.json()["error"]["fields"]["older_than"][0]
