from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts_app.api.views import APIKeyViewSet, RefreshTokenView, TokenObtainView, WhoAmIView

router = SimpleRouter()
router.register("api-keys", APIKeyViewSet, basename="api-key")
urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", RefreshTokenView.as_view(), name="token-refresh"),
    path("auth/me/", WhoAmIView.as_view(), name="whoami"),
    *router.urls,
]
