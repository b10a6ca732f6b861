from django.urls import path
from rest_framework.routers import SimpleRouter

from instances_app.api.deadletters import InboxDeadLetterViewSet
from instances_app.api.events import EventsView, RunEventsView
from instances_app.api.views import InstanceViewSet

router = SimpleRouter()
router.register("instances", InstanceViewSet, basename="instance")
router.register("dlq/inbox", InboxDeadLetterViewSet, basename="inbox-dead-letter")
urlpatterns = [
    *router.urls,
    path("runs/<int:pk>/events", RunEventsView.as_view(), name="run-events"),
    path("runs/<int:pk>/events/", RunEventsView.as_view()),
    path("events", EventsView.as_view(), name="events"),
    path("events/", EventsView.as_view()),
]
