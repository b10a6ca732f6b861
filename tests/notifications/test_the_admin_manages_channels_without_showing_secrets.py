"""The admin lists and edits channels and rules and shows the delivery history read-only; a
channel's secret can be replaced there, never read back; its test action sends a message."""

from django.contrib.auth.models import User

from notifications_app.models import Channel, Notification, Rule
from tests.notifications.helpers import Receiver, signature_valid

SECRET = "admin-side-secret-123"


def test_admin_pages_and_the_secret(client, db, make_task):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-long-enough")
    client.force_login(admin)
    receiver = Receiver()
    try:
        channel = Channel.objects.create(name="ops", type="webhook", url=receiver.url, secret=SECRET)
        Rule.objects.create(channel=channel, task=make_task(), events=["failed"])
        for path in ("/admin/notifications_app/channel/", "/admin/notifications_app/channel/add/",
                     f"/admin/notifications_app/channel/{channel.pk}/change/", "/admin/notifications_app/rule/",
                     "/admin/notifications_app/notification/", "/admin/notifications_app/alert/"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert SECRET not in page.content.decode(), path
        changed = client.post(f"/admin/notifications_app/channel/{channel.pk}/change/", {
            "name": "ops", "type": "webhook", "url": receiver.url, "format": "json", "to": "[]", "template": "",
            "enabled": "on", "new_secret": "",
        })
        assert changed.status_code == 302, changed.content.decode()[:3000]
        assert Channel.objects.get().secret == SECRET  # an empty new_secret keeps it
        client.post(f"/admin/notifications_app/channel/{channel.pk}/change/", {
            "name": "ops", "type": "webhook", "url": receiver.url, "format": "json", "to": "[]", "template": "",
            "enabled": "on", "new_secret": "replaced",
        })
        assert Channel.objects.get().secret == "replaced"
        Channel.objects.filter(pk=channel.pk).update(secret=SECRET)
        sent = client.post("/admin/notifications_app/channel/", {"action": "send_test", "_selected_action": [channel.pk]})
        assert sent.status_code == 302
        assert Notification.objects.get(event="test").status == "delivered"
        assert signature_valid(receiver.requests[-1], SECRET)
        detail = client.get(f"/admin/notifications_app/notification/{Notification.objects.get().pk}/change/")
        assert detail.status_code == 200 and "delivered" in detail.content.decode()
    finally:
        receiver.stop()
