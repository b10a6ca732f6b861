from drf_spectacular.utils import extend_schema
from rest_framework.routers import SimpleRouter

from tasks_app.api.views import DeadLetterViewSet, RunViewSet, TaskViewSet


@extend_schema(exclude=True)
class DlqAliasViewSet(DeadLetterViewSet):
    """/api/v1/dlq/: the former path of /api/v1/deadletters/, kept working (not in the schema)."""


router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("runs", RunViewSet, basename="run")
router.register("deadletters", DeadLetterViewSet, basename="dead-letter")
router.register("dlq", DlqAliasViewSet, basename="dlq-alias")
urlpatterns = router.urls
