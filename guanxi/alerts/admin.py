from django.contrib import admin

from .models import Alert, AlertRule, PurchaseCycle


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    """Thresholds are validated by AlertRule.clean (rules.validate_params)."""

    list_display = ("key", "enabled", "params", "updated_at")

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.sees_everything

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rule", "customer", "cause_key", "status", "opened_at", "closed_at")
    list_filter = ("rule", "status")
    raw_id_fields = ("customer",)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.sees_everything

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PurchaseCycle)
class PurchaseCycleAdmin(admin.ModelAdmin):
    list_display = ("customer", "days")
    raw_id_fields = ("customer",)

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.sees_everything

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)
