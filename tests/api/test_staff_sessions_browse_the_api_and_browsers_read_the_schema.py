"""A staff user signed in to the admin or the console gets DRF's browsable API in a browser;
API keys and scripts get JSON whatever they accept; /api/v1/schema/ answers a browser with a
page (clients get YAML or JSON as before)."""

from django.contrib.auth.models import User
from django.test import Client

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_staff_browse_keys_get_json(db, key_client, make_task):
    make_task("browsed")
    staff = Client()
    staff.force_login(User.objects.create_user("ops", is_staff=True, is_superuser=True))
    page = staff.get("/api/v1/tasks/", HTTP_ACCEPT=BROWSER)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"browsed" in page.content and b"Django REST framework" in page.content
    assert staff.get("/api/v1/tasks/")["Content-Type"] == "application/json"  # no Accept: JSON

    key = key_client("TaskRead")
    as_key = key.get("/api/v1/tasks/", HTTP_ACCEPT=BROWSER)
    assert as_key.status_code == 200 and as_key["Content-Type"] == "application/json"
    assert Client().get("/api/v1/tasks/", HTTP_ACCEPT=BROWSER)["Content-Type"] == "application/json"  # 401 body

    non_staff = Client()
    non_staff.force_login(User.objects.create_user("someone"))
    assert non_staff.get("/api/v1/tasks/", HTTP_ACCEPT=BROWSER)["Content-Type"] == "application/json"


def test_the_schema_answers_a_browser(client):
    page = client.get("/api/v1/schema/", HTTP_ACCEPT=BROWSER)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"openapi: 3" in page.content and b'href="/api/v1/docs/"' in page.content
    assert client.get("/api/v1/schema/")["Content-Type"].startswith("application/vnd.oai.openapi")
    assert client.get("/api/v1/schema/?format=json")["Content-Type"].startswith("application/vnd.oai.openapi+json")
