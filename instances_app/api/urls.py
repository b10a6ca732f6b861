from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.routers import SimpleRouter

from instances_app.api.deadletters import InboxDeadLetterViewSet
from instances_app.api.events import EventsView, RunEventsView
from instances_app.api.views import InstanceViewSet


@extend_schema(exclude=True)
class DlqInboxAliasViewSet(InboxDeadLetterViewSet):
    """/api/v1/dlq/inbox/: the former path of /api/v1/deadletters/inbox/ (not in the schema)."""


router = SimpleRouter()
router.register("instances", InstanceViewSet, basename="instance")
router.register("deadletters/inbox", InboxDeadLetterViewSet, basename="inbox-dead-letter")
router.register("dlq/inbox", DlqInboxAliasViewSet, basename="dlq-inbox-alias")
urlpatterns = [
    *router.urls,
    path("runs/<int:pk>/events", RunEventsView.as_view(), name="run-events"),
    path("runs/<int:pk>/events/", RunEventsView.as_view()),
    path("events", EventsView.as_view(), name="events"),
    path("events/", EventsView.as_view()),
]
