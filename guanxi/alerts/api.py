"""/api/v1/alerts/: the caller's visible alerts; POST {id}/read/ marks one read."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.api import NOT_FOUND

from . import selectors, services
from .models import Alert


class AlertSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rule_label = serializers.CharField(source="get_rule_display", read_only=True)
    is_read = serializers.BooleanField(read_only=True, default=False)
    is_dismissed = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Alert
        fields = [
            "id",
            "customer",
            "customer_number",
            "customer_name",
            "rule",
            "rule_label",
            "cause_key",
            "ref_on",
            "status",
            "opened_at",
            "closed_at",
            "is_read",
            "is_dismissed",
        ]


class AlertFilter(django_filters.FilterSet):
    class Meta:
        model = Alert
        fields = ["rule", "status", "customer"]


@extend_schema_view(
    list=extend_schema(tags=["alerts"]),
    retrieve=extend_schema(tags=["alerts"], responses={200: AlertSerializer, 404: NOT_FOUND}),
)
class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Reminders and warnings of the customers the caller may see."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Alert]:
        return selectors.inbox(user=self.request.user, status="", dismissed=True)

    @extend_schema(tags=["alerts"], request=None, responses={200: AlertSerializer, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: Any = None) -> Response:
        try:
            services.alert_mark_read(user=request.user, alert_id=int(pk))
        except Alert.DoesNotExist as exc:
            raise NotFound from exc
        return Response(self.get_serializer(self.get_object()).data)
