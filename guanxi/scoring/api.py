"""/api/v1/scores/: read-only scores of the customers the caller may see.

To be registered by the project router:
    router.register("scores", ScoreViewSet, basename="score")
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.api import NOT_FOUND

from . import selectors
from .explain import fill_reasons
from .models import CustomerScore


class ScoreSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    health_action = serializers.SerializerMethodField()
    maturity = serializers.SerializerMethodField()
    explanations = serializers.SerializerMethodField()

    class Meta:
        model = CustomerScore
        exclude = ["reasons"]

    def get_health_action(self, obj: CustomerScore) -> str:
        return str(obj.health_action) if obj.health_grade else ""

    def get_maturity(self, obj: CustomerScore) -> str:
        state = getattr(obj.customer, "maturity", None)
        return state.value if state else ""

    def get_explanations(self, obj: CustomerScore) -> dict[str, list[str]]:
        return selectors.score_explanations(score=obj)


class ScoreChangeSerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    as_of = serializers.DateField()
    dimension = serializers.CharField()
    dimension_label = serializers.CharField()
    from_value = serializers.CharField(source="from")
    to_value = serializers.CharField(source="to")
    cause = serializers.CharField()
    standard_version = serializers.IntegerField(allow_null=True)
    before = serializers.ListField(child=serializers.CharField())
    after = serializers.ListField(child=serializers.CharField())


class ScoreFilter(django_filters.FilterSet):
    class Meta:
        model = CustomerScore
        fields = [
            "value_tier",
            "potential_tier",
            "matrix",
            "rfm_segment",
            "four_class",
            "health_grade",
            "lead_grade",
            "lifecycle",
            "credit_rating",
            "pyramid",
            "abc",
        ]


@extend_schema_view(
    list=extend_schema(tags=["scores"]),
    retrieve=extend_schema(tags=["scores"], responses={200: ScoreSerializer, 404: NOT_FOUND}),
)
class ScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Classification and scores per customer (`{id}` is the customer id), each with
    translated explanations. Filter by any tier/grade/class code."""

    serializer_class = ScoreSerializer
    filterset_class = ScoreFilter
    cursor_ordering = ("-customer_id",)
    lookup_value_regex = "[0-9]+"

    def paginate_queryset(self, queryset: Any) -> list[CustomerScore] | None:
        page = super().paginate_queryset(queryset)
        if page is not None:
            fill_reasons(page)  # one facts query per page, not one per row
        return page

    def get_object(self) -> CustomerScore:
        score = super().get_object()
        fill_reasons([score])  # before serialising: it also settles `as_of`
        return score

    def get_queryset(self) -> QuerySet[CustomerScore]:
        return selectors.visible_scores(user=self.request.user).select_related(
            "customer", "customer__maturity"
        )

    @extend_schema(tags=["scores"], responses={200: ScoreChangeSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: Any = None) -> Response:
        """Every change of a tier, grade, class, rating or maturity class, newest first."""
        score = self.get_object()
        rows = selectors.score_history(user=request.user, customer_id=score.customer_id)
        return Response(ScoreChangeSerializer(rows, many=True).data)
