from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Sales organisation"), {"fields": ("role", "team", "display_name", "phone")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
