"""Django admin for configuration; non-admin staff still only see what the rule allows."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Contact, Customer, Interaction, Need, Order, Tag


class VisibleCustomerMixin:
    customer_path = "customer"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.sees_everything:
            return qs
        visible = Customer.objects.visible_to(request.user)
        if self.customer_path == "":
            return qs.filter(pk__in=visible)
        return qs.filter(**{f"{self.customer_path}__in": visible})


@admin.register(Customer)
class CustomerAdmin(VisibleCustomerMixin, SimpleHistoryAdmin):
    customer_path = ""
    list_display = ("number", "name", "industry", "stage", "owner", "deleted_at")
    list_filter = ("stage", "industry", "source")
    search_fields = ("name", "number")
    raw_id_fields = ("owner",)
    filter_horizontal = ("tags",)


@admin.register(Contact)
class ContactAdmin(VisibleCustomerMixin, SimpleHistoryAdmin):
    list_display = ("name", "customer", "title", "decision_role", "is_key_person")
    raw_id_fields = ("customer",)


@admin.register(Interaction)
class InteractionAdmin(VisibleCustomerMixin, SimpleHistoryAdmin):
    list_display = ("customer", "channel", "occurred_at", "owner")
    raw_id_fields = ("customer", "contact")


@admin.register(Order)
class OrderAdmin(VisibleCustomerMixin, SimpleHistoryAdmin):
    list_display = ("customer", "ordered_on", "amount", "product_line")
    raw_id_fields = ("customer",)


@admin.register(Need)
class NeedAdmin(VisibleCustomerMixin, SimpleHistoryAdmin):
    list_display = ("customer", "status", "urgency", "importance", "owner")
    raw_id_fields = ("customer",)


admin.site.register(Tag)
