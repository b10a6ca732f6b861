from rest_framework.routers import SimpleRouter

from notifications_app.api.views import ChannelViewSet, DeliveryViewSet, RuleViewSet

router = SimpleRouter()
router.register("notifications/channels", ChannelViewSet, basename="notification-channel")
router.register("notifications/rules", RuleViewSet, basename="notification-rule")
router.register("notifications/deliveries", DeliveryViewSet, basename="notification-delivery")
urlpatterns = router.urls
