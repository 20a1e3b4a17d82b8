"""Classification list (客户分类分级清单) and tier migration: set-based aggregates over
the scores of the customers a user may see.

Every function starts from `selectors.visible_scores(user)` or
`Customer.objects.visible_to(user)`; a team or rep scope only narrows that.
Counts are GROUP BY queries, the Pareto curve is a window function sampled at
100 ranks; no query runs per customer.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext as _

from guanxi.accounts.models import Team, User
from guanxi.customers.models import Customer

from . import choices
from .facts import day_start
from .models import CustomerScore, ScoreChange
from .results import DIMENSIONS
from .selectors import value_label, visible_scores

NOT_ASSESSED = "-"  # in URLs: the empty code ("not assessed" / no maturity class)
MATURITY_FIELD = "customer__maturity__value"
# The dimensions of the classification list, in the order shown.
LIST_DIMENSIONS = (
    "value_tier",
    "potential_tier",
    "matrix",
    "four_class",
    "health_grade",
    "rfm_segment",
    "lifecycle",
    "credit_rating",
    "pyramid",
    "abc",
    "lead_grade",
    "maturity",
)
FILTERS = {dim: dim for dim in DIMENSIONS} | {"maturity": MATURITY_FIELD}
PARETO_POINTS = 100


def dimension_label(dimension: str) -> str:
    try:
        return str(choices.Dimension(dimension).label)
    except ValueError:
        return dimension


def code_label(dimension: str, code: str | None) -> str:
    if not code:
        return _("Not classified") if dimension == "maturity" else _("Not assessed")
    return value_label(dimension, code)


def scoped_scores(
    user: User, *, team: Team | None = None, owner: User | None = None
) -> QuerySet[CustomerScore]:
    """Scores of the visible customers, narrowed to a team and/or a rep."""
    qs = visible_scores(user=user)
    if team is not None:
        qs = qs.filter(customer__owner__team=team)
    if owner is not None:
        qs = qs.filter(customer__owner=owner)
    return qs


def scoped_customers(
    user: User, *, team: Team | None = None, owner: User | None = None
) -> QuerySet[Customer]:
    qs = Customer.objects.visible_to(user)
    if team is not None:
        qs = qs.filter(owner__team=team)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


def _codes(dimension: str) -> list[str]:
    return list(choices.DIMENSION_CHOICES[dimension].values)


def distribution(qs: QuerySet[CustomerScore], dimension: str) -> dict[str, Any]:
    """Counts and shares of every value of one dimension (zeros included)."""
    column = FILTERS[dimension]
    found = {
        (row[column] or ""): row["n"]
        for row in qs.order_by().values(column).annotate(n=Count("pk"))
    }
    total = sum(found.values())
    codes = _codes(dimension)
    if found.get("", 0):
        codes.append("")
    rows = []
    for code in codes:
        n = found.get(code, 0)
        rows.append(
            {
                "value": code or NOT_ASSESSED,
                "label": code_label(dimension, code),
                "count": n,
                "share": round(n * 100 / total, 1) if total else 0.0,
            }
        )
    return {
        "dimension": dimension,
        "label": dimension_label(dimension),
        "total": total,
        "rows": rows,
    }


def value_potential_matrix(qs: QuerySet[CustomerScore]) -> dict[str, Any]:
    """Counts per (value tier, potential tier) of the assessed customers."""
    counts = {
        (row["value_tier"], row["potential_tier"]): row["n"]
        for row in qs.exclude(value_tier="")
        .order_by()
        .values("value_tier", "potential_tier")
        .annotate(n=Count("pk"))
    }
    values = _codes("value_tier")
    potentials = _codes("potential_tier")
    rows = []
    for v in values:
        cells = []
        for p in potentials:
            cells.append(
                {
                    "value_tier": v,
                    "potential_tier": p,
                    "matrix": f"{v}_{p}",
                    "label": value_label("matrix", f"{v}_{p}"),
                    "count": counts.get((v, p), 0),
                }
            )
        rows.append({"code": v, "label": value_label("value_tier", v), "cells": cells})
    return {
        "rows": rows,
        "columns": [{"code": p, "label": value_label("potential_tier", p)} for p in potentials],
        "total": sum(counts.values()),
        "max": max(counts.values(), default=0),
    }


def pareto(qs: QuerySet[CustomerScore], points: int = PARETO_POINTS) -> dict[str, Any]:
    """Cumulative share of 12-month sales against the share of buying customers,
    ranked by sales (descending), sampled at `points` ranks; plus where the top 20%
    of customers are and how many customers make 80% of sales."""
    buyers = qs.filter(sales__gt=0).order_by()
    agg = buyers.aggregate(n=Count("pk"), total=Coalesce(Sum("sales"), Value(Decimal(0))))
    n, total = agg["n"], agg["total"]
    if not n or total <= 0:
        return {"customers": 0, "total": 0, "points": [], "top20": None, "reach80": None}
    order = [F("sales").desc(), F("pk").asc()]
    ranked = buyers.annotate(
        rank=Window(RowNumber(), order_by=order),
        cum=Window(Sum("sales"), order_by=order),
    )
    ranks = sorted({-(-k * n // points) for k in range(1, points + 1)})
    sampled = dict(ranked.filter(rank__in=ranks).values_list("rank", "cum"))
    curve = [[0.0, 0.0]]
    for rank in ranks:
        cum = sampled.get(rank)
        if cum is not None:
            curve.append([round(rank * 100 / n, 2), round(float(cum * 100 / total), 2)])
    top_rank = -(-20 * n // 100)
    top_cum = ranked.filter(rank=top_rank).values_list("cum", flat=True).first()
    reach = (
        ranked.filter(cum__gte=total * Decimal("0.8"))
        .order_by("rank")
        .values_list("rank", flat=True)
        .first()
    )
    return {
        "customers": n,
        "total": total,
        "points": curve,
        "top20": None if top_cum is None else round(float(top_cum * 100 / total), 1),
        "reach80": None if reach is None else round(reach * 100 / n, 1),
    }


def filter_scores(
    qs: QuerySet[CustomerScore], params: dict[str, str]
) -> tuple[QuerySet[CustomerScore], list[tuple[str, str]]]:
    """Drill-down: keep the scores whose dimensions have the given codes ('-' = none).
    Returns the queryset and the (dimension, value) labels applied."""
    applied = []
    for dim, column in FILTERS.items():
        code = params.get(dim)
        if code is None:
            continue
        if code == NOT_ASSESSED:
            cond = Q(**{f"{column}__isnull": True}) if dim == "maturity" else Q(**{column: ""})
            qs = qs.filter(cond)
            code = ""
        elif code in choices.DIMENSION_CHOICES[dim].values:
            qs = qs.filter(**{column: code})
        else:  # a hand-made link: say so rather than show the code as a label
            qs = qs.none()
            unknown = _("unknown value “%(code)s”") % {"code": code[:40]}
            applied.append((dimension_label(dim), unknown))
            continue
        applied.append((dimension_label(dim), code_label(dim, code)))
    return qs, applied


# --- tier migration --------------------------------------------------------------------


def migration_customers(
    customers: QuerySet[Customer], dimension: str, start: dt.date, end: dt.date
) -> QuerySet[Customer]:
    """Customers of `customers` whose `dimension` changed in [start, end) (local days),
    annotated with where they were before the first change (m_from) and where the
    last change left them (m_to)."""
    changes = ScoreChange.objects.filter(
        dimension=dimension, changed_at__gte=day_start(start), changed_at__lt=day_start(end)
    )
    mine = changes.filter(customer=OuterRef("pk"))
    first = mine.order_by("changed_at", "id").values("from_value")[:1]
    last = mine.order_by("-changed_at", "-id").values("to_value")[:1]
    return customers.filter(Exists(mine)).annotate(m_from=Subquery(first), m_to=Subquery(last))


# Dimensions whose values are listed best first (choices.py): a move to an earlier
# value is a move up. The others (matrix labels, RFM segments, classes, lifecycle and
# maturity stages) name kinds of customer, not ranks.
RANKED = frozenset(
    ("value_tier", "potential_tier", "health_grade", "lead_grade")
    + ("credit_rating", "pyramid", "abc")
)


def move_direction(dimension: str, codes: list[str], before: str, after: str) -> str:
    """Which way a move between two values of `dimension` (listed best first in
    `codes`) goes: "up", "down", or "" for the same value, an unranked dimension or a
    side not assessed."""
    if dimension not in RANKED or before == after or not before or not after:
        return ""
    return "up" if codes.index(after) < codes.index(before) else "down"


def migration_matrix(
    customers: QuerySet[Customer], dimension: str, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """From × to counts of customers for one dimension and period; for ranked
    dimensions each cell says whether its customers moved up or down."""
    rows = (
        migration_customers(customers, dimension, start, end)
        .order_by()
        .values("m_from", "m_to")
        .annotate(n=Count("pk"))
    )
    counts = {(r["m_from"] or "", r["m_to"] or ""): r["n"] for r in rows}
    used = {code for pair in counts for code in pair}
    ranked = _codes(dimension)
    codes = [c for c in ranked if c in used]

    def direction(before: str, after: str) -> str:
        return move_direction(dimension, ranked, before, after)

    if "" in used:
        codes.append("")
    matrix = []
    for f in codes:
        cells = [
            {
                "from": f or NOT_ASSESSED,
                "to": t or NOT_ASSESSED,
                "count": counts.get((f, t), 0),
                "direction": direction(f, t),
            }
            for t in codes
        ]
        matrix.append(
            {
                "code": f,
                "label": code_label(dimension, f),
                "cells": cells,
                "total": sum(c["count"] for c in cells),
            }
        )
    return {
        "codes": [{"code": c or NOT_ASSESSED, "label": code_label(dimension, c)} for c in codes],
        "rows": matrix,
        "customers": sum(counts.values()),
        "moved": sum(n for (f, t), n in counts.items() if f != t),
        "ranked": dimension in RANKED,
        "up": sum(n for (f, t), n in counts.items() if direction(f, t) == "up"),
        "down": sum(n for (f, t), n in counts.items() if direction(f, t) == "down"),
        "columns_total": [sum(counts.get((f, t), 0) for f in codes) for t in codes],
    }
