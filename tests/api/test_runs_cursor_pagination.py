from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app.models import Run
from tests.api.resource_suite import assert_error


def _walk(client, url, key="next"):
    seen = []
    while url:
        body = client.get(url).json()
        seen.append([r["id"] for r in body["results"]])
        url = body[key]
    return seen


def test_cursor_pages_cover_every_run_once_newest_first_even_with_equal_times(admin_client, make_task):
    task = make_task()
    same = timezone.now()
    Run.objects.bulk_create([Run(task=task, trigger="manual", created_at=same) for _ in range(30)]
                            + [Run(task=task, trigger="manual", created_at=same - timezone.timedelta(seconds=i))
                               for i in range(1, 26)])
    pages = _walk(admin_client, "/api/v1/runs/?limit=10")
    ids = [i for page in pages for i in page]
    expected = list(Run.objects.order_by("-created_at", "-id").values_list("id", flat=True))
    assert ids == expected and len(pages) == 6

    # and back again, from the last page
    last = admin_client.get("/api/v1/runs/?limit=10")
    for _ in range(5):
        last = admin_client.get(last.json()["next"])
    back = _walk(admin_client, last.json()["previous"], key="previous")
    assert [i for page in reversed(back) for i in page] == expected[:50]


def test_filters_combine_with_the_cursor(admin_client, make_task, make_run):
    a, b = make_task("a"), make_task("b")
    for _ in range(3):
        make_run(a, "failed", worker="w1")
        make_run(b, "failed", worker="w2")
        make_run(a, "succeeded", worker="w1")
    body = admin_client.get(f"/api/v1/runs/?task={a.pk}&status=failed&worker=w1&limit=2").json()
    assert len(body["results"]) == 2 and body["next"]
    rest = admin_client.get(body["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    both = admin_client.get("/api/v1/runs/?status=failed&status=succeeded&worker=w1").json()["results"]
    assert len(both) == 6
    later = (timezone.now() + timezone.timedelta(minutes=1)).isoformat()
    assert admin_client.get(f"/api/v1/runs/?created_after={later.replace('+', '%2B')}").json()["results"] == []


def test_a_page_is_one_keyset_query_with_no_count(admin_client, make_task, make_run):
    task = make_task()
    for _ in range(5):
        make_run(task)
    first = admin_client.get("/api/v1/runs/?limit=2").json()
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(first["next"])
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not any("COUNT(" in s for s in sql)
    [page] = [s for s in sql if 'FROM "TASKS_APP_RUN"' in s]
    assert "OFFSET" not in page and "ORDER BY" in page and "LIMIT 3" in page


def test_an_invalid_cursor_is_a_400(admin_client):
    assert "cursor" in assert_error(admin_client.get("/api/v1/runs/?cursor=garbage"), 400)["fields"]
    assert "limit" in assert_error(admin_client.get("/api/v1/runs/?limit=0"), 400)["fields"]
