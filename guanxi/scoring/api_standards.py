"""/api/v1/standards/: classification standards — read for everyone, write for directors/admins."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.api import NOT_FOUND

from . import selectors, services
from .impact import standard_impact
from .models import ClassificationStandard


class StandardSerializer(serializers.ModelSerializer):
    created_by = serializers.StringRelatedField()
    activated_by = serializers.StringRelatedField()

    class Meta:
        model = ClassificationStandard
        fields = [
            "id",
            "version",
            "name",
            "notes",
            "config",
            "is_active",
            "created_by",
            "created_at",
            "activated_by",
            "activated_at",
            "review_due_on",
        ]
        read_only_fields = [
            "version",
            "is_active",
            "created_by",
            "created_at",
            "activated_by",
            "activated_at",
            "review_due_on",
        ]


class IsConfigurerOrReadOnly(permissions.BasePermission):
    """Everyone signed in reads the standards; only directors and admins change them."""

    message = "Only a sales director or an administrator may change classification standards."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user.sees_everything)


IMPACT = inline_serializer(
    "StandardImpact",
    {
        "as_of": serializers.DateField(),
        "candidate_version": serializers.IntegerField(),
        "baseline_version": serializers.IntegerField(allow_null=True),
        "customers": serializers.IntegerField(),
        "changed_customers": serializers.IntegerField(),
        "moves": serializers.DictField(),
    },
)


@extend_schema_view(
    list=extend_schema(tags=["standards"]),
    retrieve=extend_schema(tags=["standards"], responses={200: StandardSerializer, 404: NOT_FOUND}),
    create=extend_schema(tags=["standards"]),
    partial_update=extend_schema(tags=["standards"]),
    update=extend_schema(tags=["standards"]),
)
class StandardViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Versions of the classification standard (分类标准), newest first.

    A new version is a draft; `POST {id}/activate/` puts it in force and re-tiers every
    customer in one transaction. Versions that were ever active are frozen (400 on
    update). `GET {id}/impact/` says how many of the customers you may see would move,
    per dimension, without writing anything. Invalid configurations answer 400 with the
    path of each problem, and the active standard stays untouched.
    """

    serializer_class = StandardSerializer
    permission_classes = [permissions.IsAuthenticated, IsConfigurerOrReadOnly]
    lookup_value_regex = "[0-9]+"
    cursor_ordering = ("-version",)
    filterset_fields = ["is_active"]

    def get_queryset(self):
        return selectors.standards_list().select_related("created_by", "activated_by")

    def _guard(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except DjangoPermissionDenied as exc:  # never a 404 here: standards are not secret
            raise PermissionDenied() from exc

    def perform_create(self, serializer: StandardSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = self._guard(
            services.standard_create,
            user=self.request.user,
            name=data["name"],
            config=data["config"],
            notes=data.get("notes", ""),
        )

    def perform_update(self, serializer: StandardSerializer) -> None:
        data = serializer.validated_data
        standard = serializer.instance
        serializer.instance = self._guard(
            services.standard_update,
            user=self.request.user,
            standard=standard,
            config=data.get("config", standard.config),
            name=data.get("name", ""),
        )

    @extend_schema(tags=["standards"], request=None, responses={200: StandardSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        standard = self.get_object()
        self._guard(services.standard_activate, user=request.user, standard=standard)
        standard.refresh_from_db()
        return Response(self.get_serializer(standard).data, status=status.HTTP_200_OK)

    @extend_schema(tags=["standards"], responses={200: IMPACT})
    @action(detail=True, methods=["get"])
    def impact(self, request: Request, pk: Any = None) -> Response:
        if not request.user.sees_everything:
            raise PermissionDenied()  # the preview scores every customer
        result = standard_impact(user=request.user, candidate=self.get_object())
        moves = {
            dim: [
                {"from": a, "to": b, "customers": len(ids)} for (a, b), ids in sorted(pairs.items())
            ]
            for dim, pairs in result.moves.items()
        }
        return Response(
            {
                "as_of": result.as_of,
                "candidate_version": result.candidate_version,
                "baseline_version": result.baseline_version,
                "customers": result.customers,
                "changed_customers": result.changed_customers,
                "moves": moves,
            }
        )
