"""Classification list (客户分类分级清单), its drill-down and Excel export, and the
tier-migration matrix. All data comes from the scores of the customers the user
may see (`classification.scoped_scores` / `scoped_customers`)."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from guanxi.core.pagination import keyset_page

from . import choices, classification
from .classification import (
    LIST_DIMENSIONS,
    NOT_ASSESSED,
    code_label,
    dimension_label,
    scoped_customers,
    scoped_scores,
)
from .export import XLSX, classification_workbook
from .forms import MATURITY_SHORT, MigrationForm, ScopeForm, quarter_bounds
from .views import cny

PAGE_SIZE = 100


def _scope_form(request: HttpRequest) -> ScopeForm:
    data = {k: request.GET[k] for k in ("team", "owner") if request.GET.get(k)}
    form = ScopeForm(data or None, user=request.user)
    if form.is_bound and not form.is_valid():
        messages.warning(request, _("The team or rep filter is not available to you; ignored."))
    return form


def _url(name: str, params: dict[str, str]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return reverse(name) + (f"?{query}" if query else "")


def _scope_text(form: ScopeForm) -> str:
    scope = form.scope()
    parts = [str(v) for v in scope.values()]
    return " · ".join(parts) if parts else _("All customers you can see")


@login_required
@require_GET
def classification_list(request: HttpRequest) -> HttpResponse:
    form = _scope_form(request)
    scope = form.scope()
    scores = scoped_scores(request.user, **scope)
    params = form.params()
    drill = "scoring:classification_customers"
    distributions = []
    for dim in LIST_DIMENSIONS:
        dist = classification.distribution(scores, dim)
        for row in dist["rows"]:
            row["url"] = _url(drill, {**params, dim: row["value"]})
        distributions.append(dist)
    matrix = classification.value_potential_matrix(scores)
    for line in matrix["rows"]:
        for cell in line["cells"]:
            cell["url"] = _url(
                drill,
                {
                    **params,
                    "value_tier": cell["value_tier"],
                    "potential_tier": cell["potential_tier"],
                },
            )
    pareto = classification.pareto(scores)
    heatmap = {
        "x": [c["label"] for c in matrix["columns"]],
        # ECharts draws the first category at the bottom: strategic goes on top
        "y": [line["label"] for line in reversed(matrix["rows"])],
        "data": [
            [x, y, cell["count"]]
            for y, line in enumerate(reversed(matrix["rows"]))
            for x, cell in enumerate(line["cells"])
        ],
        "names": [[cell["label"] for cell in line["cells"]] for line in reversed(matrix["rows"])],
        "urls": [[cell["url"] for cell in line["cells"]] for line in reversed(matrix["rows"])],
        "max": matrix["max"],
        "seriesName": _("Customers"),
    }
    pareto_chart = {
        "points": pareto["points"],
        "top20": pareto["top20"],
        "reach80": pareto["reach80"],
        "xName": _("Share of customers (%)"),
        "yName": _("Share of 12-month sales (%)"),
        "seriesName": _("Cumulative share of sales"),
        # xgettext:no-python-format
        "top20Label": _("Top 20% of customers"),
        # xgettext:no-python-format
        "reach80Label": _("80% of sales"),
    }
    context = {
        "scope_form": form,
        "scope_text": _scope_text(form),
        "total": scores.count(),
        "distributions": distributions,
        "matrix": matrix,
        "pareto": pareto,
        "pareto_total": cny(pareto["total"]),
        "heatmap": heatmap,
        "pareto_chart": pareto_chart,
        "export_url": _url("scoring:classification_export", params),
        "all_url": _url(drill, params),
        "migration_url": _url("scoring:migration", params),
    }
    return render(request, "scoring/classification.html", context)


def _maturity_short(customer) -> str:
    state = getattr(customer, "maturity", None)
    return str(MATURITY_SHORT.get(state.value, state.value)) if state else "—"


def _score_rows(page_rows) -> list[dict[str, Any]]:
    rows = []
    for s in page_rows:
        rows.append(
            {
                "customer": s.customer,
                "cells": [
                    code_label("value_tier", s.value_tier),
                    code_label("potential_tier", s.potential_tier),
                    code_label("health_grade", s.health_grade),
                    code_label("lifecycle", s.lifecycle),
                    _maturity_short(s.customer),
                    cny(s.sales),
                ],
            }
        )
    return rows


@login_required
@require_GET
def classification_customers(request: HttpRequest) -> HttpResponse:
    """Drill-down of a count: the visible customers with the given codes."""
    form = _scope_form(request)
    scores = scoped_scores(request.user, **form.scope())
    filters = {k: request.GET[k] for k in classification.FILTERS if k in request.GET}
    scores, applied = classification.filter_scores(scores, filters)
    ordered = scores.select_related("customer", "customer__owner", "customer__maturity").order_by(
        "-sales", "pk"
    )
    page = keyset_page(ordered, request.GET.get("cursor") or None, size=PAGE_SIZE)
    next_url = ""
    if page.next_cursor:
        next_url = "?" + urlencode({**request.GET.dict(), "cursor": page.next_cursor})
    title = " · ".join(f"{d}: {v}" for d, v in applied) or _("All classified customers")
    context = {
        "title": title,
        "subtitle": _scope_text(form),
        "back_url": _url("scoring:classification", form.params()),
        "back_label": _("Back to the classification list"),
        "columns": [
            _("Value tier"),
            _("Potential tier"),
            _("Health"),
            _("Lifecycle"),
            _("Maturity"),
            _("12-month sales"),
        ],
        "rows": _score_rows(page.rows),
        "count": scores.count(),
        "next_url": next_url,
        "first_url": "?" + urlencode({k: v for k, v in request.GET.items() if k != "cursor"})
        if page.has_previous
        else "",
        "section": "classification",
    }
    return render(request, "scoring/customer_list.html", context)


@login_required
@require_GET
def classification_export(request: HttpRequest) -> HttpResponse:
    form = _scope_form(request)
    scores = scoped_scores(request.user, **form.scope())
    body = classification_workbook(
        distributions=[classification.distribution(scores, d) for d in LIST_DIMENSIONS],
        matrix=classification.value_potential_matrix(scores),
        scores=scores,
        scope=_scope_text(form),
    )
    response = HttpResponse(body, content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="classification-{stamp}.xlsx"'
    return response


def _migration_form(request: HttpRequest) -> MigrationForm:
    data = {k: request.GET[k] for k in ("dimension", "quarter") if request.GET.get(k)}
    form = MigrationForm(data or None)
    if form.is_bound and not form.is_valid():
        messages.warning(request, _("Unknown dimension or quarter; showing the defaults."))
    return form


@login_required
@require_GET
def migration(request: HttpRequest) -> HttpResponse:
    """From × to counts of one dimension during one quarter (per customer: where the
    first change started and where the last one ended)."""
    form = _migration_form(request)
    scope_form = _scope_form(request)
    dimension, quarter = form.values()
    start, end = quarter_bounds(quarter)
    customers = scoped_customers(request.user, **scope_form.scope())
    matrix = classification.migration_matrix(customers, dimension, start, end)
    base = {**scope_form.params(), "dimension": dimension, "quarter": quarter}
    for line in matrix["rows"]:
        for cell in line["cells"]:
            cell["url"] = (
                _url(
                    "scoring:migration_customers", {**base, "from": cell["from"], "to": cell["to"]}
                )
                if cell["count"]
                else ""
            )
    context = {
        "form": form,
        "scope_form": scope_form,
        "dimension": dimension,
        "dimension_label": dimension_label(dimension),
        "quarter": quarter,
        "start": start,
        "last_day": end - dt.timedelta(days=1),
        "matrix": matrix,
        "all_url": _url("scoring:migration_customers", base),
        "classification_url": _url("scoring:classification", scope_form.params()),
    }
    return render(request, "scoring/migration.html", context)


@login_required
@require_GET
def migration_customers(request: HttpRequest) -> HttpResponse:
    form = _migration_form(request)
    scope_form = _scope_form(request)
    dimension, quarter = form.values()
    start, end = quarter_bounds(quarter)
    customers = classification.migration_customers(
        scoped_customers(request.user, **scope_form.scope()), dimension, start, end
    )
    applied = []
    codes = set(choices.DIMENSION_CHOICES[dimension].values)
    for key, field in (("from", "m_from"), ("to", "m_to")):
        code = request.GET.get(key)
        if code is None:
            continue
        code = "" if code == NOT_ASSESSED else code
        if code and code not in codes:
            customers = customers.none()
        elif code:
            customers = customers.filter(**{field: code})
        else:
            customers = customers.filter(Q(**{field: ""}) | Q(**{f"{field}__isnull": True}))
        applied.append(code_label(dimension, code))
    ordered = customers.select_related("owner").order_by("id")
    page = keyset_page(ordered, request.GET.get("cursor") or None, size=PAGE_SIZE)
    next_url = ""
    if page.next_cursor:
        next_url = "?" + urlencode({**request.GET.dict(), "cursor": page.next_cursor})
    title = f"{dimension_label(dimension)} · {quarter}"
    if applied:
        title += ": " + " → ".join(applied)
    context = {
        "title": title,
        "subtitle": _scope_text(scope_form),
        "back_url": _url(
            "scoring:migration", {**scope_form.params(), "dimension": dimension, "quarter": quarter}
        ),
        "back_label": _("Back to the migration matrix"),
        "columns": [_("From"), _("To")],
        "rows": [
            {
                "customer": c,
                "cells": [code_label(dimension, c.m_from), code_label(dimension, c.m_to)],
            }
            for c in page.rows
        ],
        "count": customers.count(),
        "next_url": next_url,
        "first_url": "?" + urlencode({k: v for k, v in request.GET.items() if k != "cursor"})
        if page.has_previous
        else "",
        "section": "classification",
    }
    return render(request, "scoring/customer_list.html", context)
