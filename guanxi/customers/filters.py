"""One filter definition for the customer list page and the API."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.accounts.visibility import reachable_owner_ids_q
from guanxi.scoring.choices import HealthGrade, Maturity, ValueTier

from . import choices
from .models import Customer, Tag

# Sorting accepts only these; each maps to a keyset-friendly (field, id) order.
CUSTOMER_SORTS = {
    "-id": ("-id",),
    "id": ("id",),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "number": ("number", "id"),
    "-number": ("-number", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
}


def search_customers(queryset, value: str):
    """Name, number or contact phone fragment. Parameterised by the ORM."""
    # Index-backed (bigrams) on SQLite and PostgreSQL; exact same rows as a plain
    # substring match. Imported here so this function stays the only entry point.
    from .search import search

    value = (value or "").strip()[:100]
    if not value:
        return queryset
    return search(queryset, value)


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=choices.Industry.choices)
    source = django_filters.ChoiceFilter(label=_("Lead source"), choices=choices.Source.choices)
    stage = django_filters.ChoiceFilter(label=_("Funnel stage"), choices=choices.Stage.choices)
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), field_name="tags", queryset=Tag.objects.all()
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    # follow-up discipline (guanxi/followup): deadline passed / due by today
    followup = django_filters.ChoiceFilter(
        label=_("Follow-up"),
        choices=[("overdue", _("Follow-up overdue")), ("due", _("Follow-up due"))],
        method="filter_followup",
    )
    # the customer's stored scores (guanxi/scoring): a rep works through one tier
    value_tier = django_filters.ChoiceFilter(
        label=_("Value tier"), field_name="score__value_tier", choices=ValueTier.choices
    )
    health = django_filters.ChoiceFilter(
        label=_("Health grade"), field_name="score__health_grade", choices=HealthGrade.choices
    )
    maturity = django_filters.ChoiceFilter(
        label=_("Maturity class"), field_name="maturity__value", choices=Maturity.choices
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort"),
        method="filter_ordering",
        choices=[
            ("-id", _("Newest first")),
            ("id", _("Oldest first")),
            ("name", _("Name A→Z")),
            ("-name", _("Name Z→A")),
            ("number", _("Number ascending")),
            ("-number", _("Number descending")),
            ("-updated_at", _("Recently updated")),
            ("updated_at", _("Least recently updated")),
        ],
        empty_label=None,
    )

    class Meta:
        model = Customer
        fields = ["q", "industry", "source", "stage", "tag", "owner"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        request = kwargs.get("request")
        user = user or getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.filters["owner"].queryset = User.objects.filter(reachable_owner_ids_q(user))

    def filter_q(self, queryset, name, value):
        return search_customers(queryset, value)

    def filter_followup(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(followup__deadline__lt=today)
        if value == "due":
            return queryset.filter(followup__next_due__lte=today)
        return queryset

    def filter_ordering(self, queryset, name, value):
        return queryset.order_by(*CUSTOMER_SORTS.get(value, ("-id",)))
