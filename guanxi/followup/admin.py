from django.contrib import admin

from .models import CadenceRule, PlanTarget, RepCapacity, StockTarget, WorkCalendarDay


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    list_display = ("maturity", "segment", "age_band", "touch", "cycle_min", "cycle_max", "unit")
    list_filter = ("is_active", "touch", "unit")


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "is_working", "note")


@admin.register(RepCapacity)
class RepCapacityAdmin(admin.ModelAdmin):
    list_display = ("user", "capacity", "am_golden", "pm_golden")


@admin.register(StockTarget)
class StockTargetAdmin(admin.ModelAdmin):
    list_display = ("key", "minimum", "maximum", "updated_at")


@admin.register(PlanTarget)
class PlanTargetAdmin(admin.ModelAdmin):
    list_display = ("weekday", "calls")
