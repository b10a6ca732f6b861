from rest_framework.routers import SimpleRouter

from workers_app.api.views import RejectedMessageViewSet, WorkerViewSet

router = SimpleRouter()
router.register("workers", WorkerViewSet, basename="worker")
router.register("rejected-messages", RejectedMessageViewSet, basename="rejected-message")
urlpatterns = router.urls
