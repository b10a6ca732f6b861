from rest_framework.routers import SimpleRouter

from tasks_app.api.views import DeadLetterViewSet, RunViewSet, TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("runs", RunViewSet, basename="run")
router.register("dlq", DeadLetterViewSet, basename="dead-letter")
urlpatterns = router.urls
