"""/api/v1/calllist/, /api/v1/followups/ (visible customers only) and
/api/v1/cadences/ (read for all, write for managers, directors and admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, pagination, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from guanxi.accounts.models import User

from . import selectors, services
from .models import CadenceRule, CallListLine, FollowUp
from .presenters import line_params, reason_text


def _day(request: Request) -> dt.date:
    raw = request.query_params.get("date")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError({"date": [_("Use YYYY-MM-DD.")]}) from exc


class CallLineSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rep = serializers.CharField(source="rep.username", read_only=True)
    reason_params = serializers.SerializerMethodField()
    reason_text = serializers.SerializerMethodField()

    class Meta:
        model = CallListLine
        fields = [
            "list_date",
            "rep",
            "rank",
            "slot",
            "customer",
            "customer_number",
            "customer_name",
            "bucket",
            "reason",
            "reason_params",
            "reason_text",
            "maturity",
            "next_due",
            "deadline",
            "first_listed_on",
            "for_manager",
        ]

    def get_reason_params(self, obj: CallListLine) -> dict[str, Any]:
        return line_params(obj, obj.list_date)

    def get_reason_text(self, obj: CallListLine) -> str:
        return reason_text(obj, obj.list_date)


class LinePagination(pagination.PageNumberPagination):
    page_size = 200
    max_page_size = 1000
    page_size_query_param = "page_size"


@extend_schema_view(
    list=extend_schema(
        tags=["follow-up"],
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="list date, default today"),
            OpenApiParameter("rep", OpenApiTypes.STR, description="username of the rep"),
        ],
    )
)
class CallListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A day's call-list lines with their reasons, of the customers you may see:
    a rep their own list, a manager their team's, directors all."""

    serializer_class = CallLineSerializer
    pagination_class = LinePagination

    def get_queryset(self) -> QuerySet[CallListLine]:
        if getattr(self, "swagger_fake_view", False):
            return CallListLine.objects.none()
        rep = None
        username = self.request.query_params.get("rep")
        if username:
            rep = User.objects.filter(username=username).first()
            if rep is None:
                return CallListLine.objects.none()
        return selectors.visible_call_lines(user=self.request.user, day=_day(self.request), rep=rep)


class FollowUpSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "customer",
            "customer_number",
            "last_contact_on",
            "next_due",
            "deadline",
            "touch",
            "rule",
            "overdue",
            "computed_at",
        ]

    def get_overdue(self, obj: FollowUp) -> bool:
        return obj.deadline < timezone.localdate()


@extend_schema_view(
    list=extend_schema(
        tags=["follow-up"],
        parameters=[OpenApiParameter("overdue", OpenApiTypes.BOOL, description="only overdue")],
    )
)
class FollowUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Next follow-up dates of the customers you may see."""

    serializer_class = FollowUpSerializer
    cursor_ordering = ("customer_id",)

    def get_queryset(self) -> QuerySet[FollowUp]:
        if getattr(self, "swagger_fake_view", False):
            return FollowUp.objects.none()
        overdue = self.request.query_params.get("overdue", "").lower() in ("1", "true", "yes")
        qs = selectors.visible_followups(
            user=self.request.user, overdue_on=timezone.localdate() if overdue else None
        )
        return qs.select_related("customer")


class CadenceRuleSerializer(serializers.ModelSerializer):
    # plain fields: choices, sign and overlap are checked by services.validate_rule,
    # which answers with clear messages
    maturity = serializers.CharField(required=False, allow_blank=True, max_length=2)
    segment = serializers.CharField(required=False, allow_blank=True, max_length=24)
    age_band = serializers.CharField(required=False, allow_blank=True, max_length=12)
    touch = serializers.CharField(required=False, max_length=12)
    unit = serializers.CharField(required=False, max_length=8)
    cycle_min = serializers.IntegerField()
    cycle_max = serializers.IntegerField()
    updated_by = serializers.StringRelatedField()

    class Meta:
        model = CadenceRule
        fields = [
            "id",
            "maturity",
            "segment",
            "age_band",
            "touch",
            "cycle_min",
            "cycle_max",
            "unit",
            "is_active",
            "note",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = ["updated_at", "updated_by"]
        validators: list = []


class IsEditorOrReadOnly(permissions.BasePermission):
    message = _("Only managers, directors and administrators change cadence rules.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or services.can_edit_cadences(
            request.user
        )


@extend_schema_view(
    list=extend_schema(tags=["follow-up"]),
    retrieve=extend_schema(tags=["follow-up"]),
    create=extend_schema(tags=["follow-up"]),
    update=extend_schema(tags=["follow-up"]),
    partial_update=extend_schema(tags=["follow-up"]),
    destroy=extend_schema(tags=["follow-up"]),
)
class CadenceRuleViewSet(viewsets.ModelViewSet):
    """Cadence rules (no customer data): everyone reads, managers and above write."""

    serializer_class = CadenceRuleSerializer
    permission_classes = [permissions.IsAuthenticated, IsEditorOrReadOnly]
    cursor_ordering = ("id",)
    queryset = CadenceRule.objects.select_related("updated_by")

    def _call(self, fn, **kw):
        try:
            return fn(user=self.request.user, **kw)
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            raise ValidationError(detail) from exc

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = self._call(
            services.cadence_rule_create, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = self._call(
            services.cadence_rule_update,
            rule=serializer.instance,
            data=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance: CadenceRule) -> None:
        self._call(services.cadence_rule_delete, rule=instance)
