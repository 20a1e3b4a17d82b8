"""Export of the customer list, on the generic streamed exporter (`guanxi.dataio.exports`).

The rows are the list page's: the visible customers after the same filters and sort.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.dataio.exports import (
    BOM,
    FORMULA_START,
    Column,
    ExportSpec,
    export_csv_iter,
    field_col,
    safe_cell,
    user_col,
)

from . import selectors
from .filters import CUSTOMER_SORTS, CustomerFilter
from .models import Customer

__all__ = ["BOM", "CUSTOMER_EXPORT", "FORMULA_START", "customer_csv_rows", "safe_cell"]


def customer_export_rows(user: User, filters: dict[str, Any]) -> QuerySet[Customer]:
    """The list page's rows for these filters; invalid filter values are ignored."""
    base = selectors.visible_customers(user)
    filterset = CustomerFilter(filters or None, queryset=base, user=user)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    sort = (filterset.form.cleaned_data.get("ordering") if filterset.is_bound else None) or "-id"
    return queryset.order_by(*CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS["-id"]))


def _tags(ids: list[int]) -> dict[int, list[Any]]:
    """Tag names of a chunk's customers, one query per chunk."""
    names: dict[int, list[str]] = {}
    for customer_id, name in (
        Customer.tags.through.objects.filter(customer_id__in=ids)
        .order_by("tag__name")
        .values_list("customer_id", "tag__name")
    ):
        names.setdefault(customer_id, []).append(name)
    return {pk: [" ".join(tags)] for pk, tags in names.items()}


CUSTOMER_EXPORT = ExportSpec(
    kind="customers",
    label=Customer._meta.verbose_name_plural,
    rows=customer_export_rows,
    columns=(
        *(field_col(Customer, f) for f in ("number", "name", "industry", "source", "stage")),
        user_col(Customer._meta.get_field("owner").verbose_name, "owner"),
        *(field_col(Customer, f) for f in ("city", "phone", "website")),
        Column(header=_("Created"), fields=("created_at",), kind="datetime"),
        Column(header=_("Updated"), fields=("updated_at",), kind="datetime"),
        # the stored scores the list shows, and the maturity class (guanxi/scoring)
        *(field_col(Customer, f) for f in ("score__matrix", "score__health_grade")),
        field_col(Customer, "score__health_score", kind="number"),
        field_col(Customer, "maturity__value"),
    ),
    enrich=_tags,
    extra_headers=(Customer._meta.get_field("tags").verbose_name,),
)


def customer_csv_rows(queryset: QuerySet[Customer], language: str | None = None):
    """Pieces of the CSV of these customers (UTF-8 with BOM, formula-safe cells)."""
    return export_csv_iter(CUSTOMER_EXPORT, queryset, language)
