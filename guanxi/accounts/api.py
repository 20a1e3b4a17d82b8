"""/api/v1/auth/token/, users/ and teams/ (read-only)."""

from typing import Any

from axes.helpers import get_client_ip_address, get_cool_off
from django.contrib.auth import authenticate, user_logged_in
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from guanxi.core.api import BAD_REQUEST, NOT_FOUND, ErrorSerializer
from guanxi.core.viewsets import BoundedBodyMixin

from .models import Team, User
from .serializers import (
    LOCKED_OUT_MESSAGE,
    TeamSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)
from .visibility import reachable_owner_ids_q


class TokenThrottle(ScopedRateThrottle):
    """The "token" scope keyed on the client address as axes resolves it (honouring
    TRUSTED_PROXIES). DRF's default ident trusts any X-Forwarded-For header, so a
    client could dodge the throttle by sending a new one with every attempt."""

    def get_ident(self, request: Request) -> str:
        return get_client_ip_address(request) or super().get_ident(request)


class ObtainTokenView(BoundedBodyMixin, APIView):
    """Exchange a username and password for an API token.

    Goes through `django.contrib.auth.authenticate(request=…)` so django-axes sees
    every attempt: after AXES_FAILURE_LIMIT failures for a username from one address
    the account is locked for the cool-off time and this answers 429 with a JSON
    detail (axes' own lockout page is HTML, and its middleware never sees the DRF
    request, so the view answers itself). Throttled by the "token" scope as well.
    """

    authentication_classes: list = []  # no session → no CSRF dance for scripts
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]
    throttle_scope = "token"
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: BAD_REQUEST,
            429: OpenApiResponse(
                response=ErrorSerializer,
                description="Locked out after repeated failures, or throttled.",
            ),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The DRF request carries the parsed credentials and the client address;
        # axes records the attempt and flags a lockout on this same object.
        user = authenticate(request=request, **serializer.validated_data)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
        if user is None:
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with the username and password.")]}
            )
        # Lets axes reset the failure count (AXES_RESET_ON_SUCCESS) and Django stamp
        # last_login, as an interactive login would.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def _locked_out(request: Request) -> Response:
    headers = {}
    cool_off = get_cool_off(request)
    if cool_off:
        headers["Retry-After"] = str(int(cool_off.total_seconds()))
    return Response(
        {"detail": str(LOCKED_OUT_MESSAGE)},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers=headers,
    )


obtain_token = ObtainTokenView.as_view()


def visible_users(user: User) -> QuerySet[User]:
    """Users whose book `user` can reach (the owner-picker rule), and themselves."""
    if user.sees_everything:
        # reachable_owner_ids_q is then an empty Q(), and `Q() | Q(pk=…)` would
        # narrow to the caller alone.
        return User.objects.all()
    return User.objects.filter(reachable_owner_ids_q(user) | Q(pk=user.pk))


def visible_teams(user: User) -> QuerySet[Team]:
    """Directors/admins: all teams; managers: the teams they manage and their own;
    reps: their own team."""
    if user.sees_everything:
        return Team.objects.all()
    q = Q(pk=user.team_id) if user.team_id else Q(pk__in=[])
    if user.is_manager:
        q |= Q(manager=user)
    return Team.objects.filter(q)


@extend_schema_view(
    list=extend_schema(tags=["users"]),
    retrieve=extend_schema(tags=["users"], responses={200: UserSerializer, 404: NOT_FOUND}),
    me=extend_schema(tags=["users"], responses={200: UserSerializer}),
)
class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Users, read-only, least privilege.

    The caller sees the users whose customer book they can reach
    (`guanxi.accounts.visibility.reachable_owner_ids_q`) plus themselves: a rep sees
    only themselves, a manager the members of the teams they manage, a director or
    admin everyone. Anyone else answers 404, exactly like a missing id. No email or
    phone is exposed. `GET users/me/` is the caller.
    """

    serializer_class = UserSerializer
    lookup_value_regex = "[0-9]+"
    cursor_ordering = ("username",)
    filterset_fields = ["role", "team", "is_active"]

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return User.objects.none()
        return visible_users(self.request.user).select_related("team")

    @action(detail=False, pagination_class=None, filter_backends=[])
    def me(self, request: Request) -> Response:
        return Response(self.get_serializer(request.user).data)


@extend_schema_view(
    list=extend_schema(tags=["teams"]),
    retrieve=extend_schema(tags=["teams"], responses={200: TeamSerializer, 404: NOT_FOUND}),
)
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams, read-only: a director or admin sees all, a manager the teams they
    manage plus their own, a rep their own team. Others answer 404."""

    serializer_class = TeamSerializer
    lookup_value_regex = "[0-9]+"
    cursor_ordering = ("name",)
    filterset_fields = ["manager"]

    def get_queryset(self) -> QuerySet[Team]:
        if getattr(self, "swagger_fake_view", False):
            return Team.objects.none()
        return visible_teams(self.request.user).select_related("manager")
