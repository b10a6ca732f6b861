from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts_app import services
from accounts_app.api.serializers import (
    APIKeySerializer,
    CreatedAPIKeySerializer,
    TokenObtainSerializer,
    TokenRefreshBodySerializer,
    WhoAmISerializer,
)
from accounts_app.models import ROLES, APIKey
from scheduler_project.api.errors import ConflictError
from scheduler_project.api.pagination import StandardPagination
from scheduler_project.api.permissions import ADMIN, AUTHENTICATED
from scheduler_project.api.principal import auth_enabled
from scheduler_project.api.viewsets import BaseAPIView, BaseViewSet, TaskplaneViewMixin


class APIKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, BaseViewSet):
    """API keys (Admin only). The key is in the creation response and nowhere else; keys are
    revoked, not deleted, so their history stays. Keys from the configuration (source
    "config") are managed there: they can be revoked here, not edited."""

    queryset = APIKey.objects.all()
    serializer_class = APIKeySerializer
    pagination_class = StandardPagination
    lookup_field = "prefix"
    lookup_value_regex = r"[A-Za-z0-9]{1,8}"
    audit_type = "api_key"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_roles = {"list": ADMIN, "retrieve": ADMIN, "create": ADMIN, "partial_update": ADMIN,
                      "update": ADMIN, "revoke": ADMIN}
    extra_error_codes = {"partial_update": [409], "revoke": [409]}

    @extend_schema(request=APIKeySerializer, responses={201: CreatedAPIKeySerializer},
                   summary="Create a key; the response shows it once")
    def create(self, request, *args, **kwargs):
        serializer = APIKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key, clear = services.create_api_key(
            data["name"], data["roles"], data.get("expiry_date"), source=APIKey.Source.API,
            created_by=self.principal.name,
        )
        body = CreatedAPIKeySerializer(key).data
        body["key"] = clear
        return Response(body, status=status.HTTP_201_CREATED)

    def _refuse_own_key(self, key: APIKey, what: str):
        # Locking oneself out by mistake is easy and hard to undo: another Admin has to do it.
        if isinstance(self.request.auth, APIKey) and self.request.auth.pk == key.pk:
            raise ConflictError(f"cannot {what} the key this request is made with: use another Admin key")

    def perform_update(self, serializer):
        if serializer.instance.source == APIKey.Source.CONFIG:
            raise ConflictError("this key comes from the configuration (API_KEYS): change it there")
        self._refuse_own_key(serializer.instance, "change")
        serializer.save()

    @extend_schema(request=None, responses=APIKeySerializer, summary="Revoke: the key stops working for good")
    @action(detail=True, methods=["post"])
    def revoke(self, request, prefix=None):
        key = self.get_object()
        self._refuse_own_key(key, "revoke")
        return Response(APIKeySerializer(services.revoke(key, self.principal.name)).data)


class WhoAmIView(BaseAPIView):
    required_roles = {"get": AUTHENTICATED}
    audit_type = "auth"

    @extend_schema(responses=WhoAmISerializer, summary="Who the credentials sent stand for, and their roles")
    def get(self, request):
        principal = self.principal
        return Response({"principal": principal.name, "kind": principal.kind,
                         "roles": sorted(principal.roles, key=ROLES.index), "auth_disabled": not auth_enabled()})


class _TokenView(TaskplaneViewMixin):
    """simplejwt's views, rate-limited by address like every other request, answering in the
    one error body; a login is not a change, so it is not audited."""

    audited = False
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="taskplane"'  # bad credentials: 401, not 403


class TokenObtainView(_TokenView, TokenObtainPairView):
    """Username and password for an access token (lifetime [api.auth] jwt_expiration_hours)
    and a refresh token (refresh_token_expiration_days)."""

    serializer_class = TokenObtainSerializer


class RefreshTokenView(_TokenView, TokenRefreshView):
    """A refresh token for a new access token."""

    serializer_class = TokenRefreshBodySerializer


