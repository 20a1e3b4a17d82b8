from django.contrib import admin

from .models import CadenceRule, RepCapacity, WorkCalendarDay


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
