"""What the control role does with a refusal's report (`control.message_rejected`): keeps it as
a RejectedMessage, whatever the report holds (it came over the broker too), counts it in
`taskplane_rejected_messages_total{reason}`, and shows it in the admin, read-only."""

from tests.observability.helpers import scrape_platform
from workers_app.models import RejectedMessage
from workers_app.tasks import message_rejected


def test_a_report_is_kept_and_counted(transactional_db, redis_prefix):
    message_rejected({"reason": "wrong_role", "detail": "workers.execute is not a task of the control role",
                      "queue": "control", "task_name": "workers.execute", "message_id": "m-1",
                      "body": "\x00pickle\x00", "body_size": 8, "node": "control@a", "role": "control"})
    row = RejectedMessage.objects.get()
    assert (row.reason, row.queue, row.task_name, row.node) == ("wrong_role", "control", "workers.execute", "control@a")
    assert "\x00" not in row.body  # PostgreSQL's text holds no NUL
    assert scrape_platform()[("taskplane_rejected_messages_total", (("reason", "wrong_role"),))] == 1


def test_a_forged_report_is_kept_as_malformed_not_failed(transactional_db, redis_prefix):
    message_rejected(["not", "a", "record"])
    message_rejected({"reason": "something else", "detail": 5, "body_size": "huge", "queue": "q" * 1000})
    rows = list(RejectedMessage.objects.order_by("id"))
    assert [r.reason for r in rows] == ["malformed", "malformed"]
    assert rows[1].body_size == 0 and len(rows[1].queue) == 255


def test_the_admin_lists_them_read_only(admin_client):
    row = RejectedMessage.objects.create(reason="content_type", queue="status", task_name="control.run_event",
                                        detail="content type 'application/x-python-serialize' is not accepted")
    page = admin_client.get("/admin/workers_app/rejectedmessage/")
    assert page.status_code == 200 and b"control.run_event" in page.content
    assert admin_client.get(f"/admin/workers_app/rejectedmessage/{row.pk}/change/").status_code == 200
    assert admin_client.get("/admin/workers_app/rejectedmessage/add/").status_code == 403


def test_the_record_stays_bounded_by_age_and_count(db, monkeypatch):
    from django.utils import timezone

    from workers_app.services import rejections

    old = RejectedMessage.objects.create(reason="malformed", received_at=timezone.now() - timezone.timedelta(days=31))
    rows = [RejectedMessage.objects.create(reason="malformed") for _ in range(5)]
    monkeypatch.setattr(rejections, "KEEP_ROWS", 3)
    assert rejections.prune(force=True) == 3
    assert list(RejectedMessage.objects.order_by("id").values_list("id", flat=True)) == [r.pk for r in rows[2:]]
    assert not RejectedMessage.objects.filter(pk=old.pk).exists()
