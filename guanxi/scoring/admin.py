"""Admin for standards (read-mostly) and a read-only view of scores and history."""

from django.contrib import admin

from .models import (
    ClassificationStandard,
    CreditProfile,
    CustomerMaturity,
    CustomerScore,
    ScoreChange,
    ScoringRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClassificationStandard)
class ClassificationStandardAdmin(ReadOnlyAdmin):
    """Standards change through services (validation, versioning, recompute)."""

    list_display = ("version", "name", "is_active", "activated_at", "review_due_on")


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "as_of", "standard_version", "status", "customers", "changes",
                    "started_at", "finished_at", "trigger")  # fmt: skip
    list_filter = ("status",)


@admin.register(CustomerScore)
class CustomerScoreAdmin(ReadOnlyAdmin):
    list_display = (
        "customer", "matrix", "four_class", "health_score", "health_grade", "lead_score",
        "lifecycle", "credit_rating", "pyramid", "abc", "as_of",
    )  # fmt: skip
    list_filter = ("value_tier", "potential_tier", "health_grade", "lifecycle", "abc")
    raw_id_fields = ("customer",)

    def get_queryset(self, request):
        from guanxi.customers.models import Customer

        qs = super().get_queryset(request)
        if request.user.sees_everything:
            return qs
        return qs.filter(customer__in=Customer.objects.visible_to(request.user))


@admin.register(ScoreChange)
class ScoreChangeAdmin(ReadOnlyAdmin):
    list_display = ("customer", "dimension", "from_value", "to_value", "cause",
                    "standard_version", "changed_at")  # fmt: skip
    list_filter = ("dimension", "cause")
    raw_id_fields = ("customer",)

    def get_queryset(self, request):
        from guanxi.customers.models import Customer

        qs = super().get_queryset(request)
        if request.user.sees_everything:
            return qs
        return qs.filter(customer__in=Customer.objects.visible_to(request.user))


@admin.register(CustomerMaturity)
class CustomerMaturityAdmin(ReadOnlyAdmin):
    list_display = ("customer", "value", "since", "set_by", "promised_payment_on")
    list_filter = ("value",)
    raw_id_fields = ("customer",)


@admin.register(CreditProfile)
class CreditProfileAdmin(ReadOnlyAdmin):
    list_display = ("customer", "payment_method", "monthly_plan", "updated_at")
    raw_id_fields = ("customer",)
