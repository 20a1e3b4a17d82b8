"""Excel export of the classification list: the counts, the value × potential
matrix and one row per visible customer. Text is always written as text
(write_string), so a cell starting with "=" is never a formula."""

import io
import re
from collections.abc import Iterable
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .classification import code_label, dimension_label
from .models import CustomerScore

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_name(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31] or "Sheet"


def _put(ws, row: int, col: int, value: Any, fmt=None) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, _("Yes") if value else _("No"), fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


CUSTOMER_COLUMNS = [
    ("number", lambda s: s.customer.number),
    ("name", lambda s: s.customer.name),
    ("owner", lambda s: str(s.customer.owner)),
    ("value_tier", lambda s: code_label("value_tier", s.value_tier)),
    ("potential_tier", lambda s: code_label("potential_tier", s.potential_tier)),
    ("potential_score", lambda s: s.potential_score),
    ("matrix", lambda s: code_label("matrix", s.matrix)),
    ("r", lambda s: s.r),
    ("f", lambda s: s.f),
    ("m", lambda s: s.m),
    ("rfm_segment", lambda s: code_label("rfm_segment", s.rfm_segment)),
    ("four_class", lambda s: code_label("four_class", s.four_class)),
    ("health_score", lambda s: s.health_score),
    ("health_grade", lambda s: code_label("health_grade", s.health_grade)),
    ("lead_score", lambda s: s.lead_score),
    ("lead_grade", lambda s: code_label("lead_grade", s.lead_grade)),
    ("lifecycle", lambda s: code_label("lifecycle", s.lifecycle)),
    ("credit_rating", lambda s: code_label("credit_rating", s.credit_rating)),
    ("credit_limit", lambda s: float(s.credit_limit)),
    ("pyramid", lambda s: code_label("pyramid", s.pyramid)),
    ("abc", lambda s: code_label("abc", s.abc)),
    ("maturity", lambda s: code_label("maturity", _maturity(s))),
    ("sales", lambda s: float(s.sales)),
    ("margin", lambda s: None if s.margin is None else float(s.margin)),
    ("as_of", lambda s: s.as_of.isoformat()),
]


def _maturity(score: CustomerScore) -> str:
    state = getattr(score.customer, "maturity", None)
    return state.value if state else ""


def _header(key: str) -> str:
    from guanxi.customers.models import Customer

    if key in ("number", "name", "owner"):
        return str(Customer._meta.get_field(key).verbose_name).capitalize()
    if key == "maturity":
        return dimension_label("maturity")
    return str(CustomerScore._meta.get_field(key).verbose_name).capitalize()


def classification_workbook(
    *,
    distributions: Iterable[dict[str, Any]],
    matrix: dict[str, Any],
    scores: QuerySet[CustomerScore],
    scope: str,
) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF9", "border": 1})
    pct = wb.add_format({"num_format": "0.0"})

    ws = wb.add_worksheet(_sheet_name(_("Summary")))
    _put(ws, 0, 0, _("Classification list"), bold)
    _put(ws, 1, 0, _("Generated at"))
    _put(ws, 1, 1, timezone.localtime().strftime("%Y-%m-%d %H:%M"))
    _put(ws, 2, 0, _("Scope"))
    _put(ws, 2, 1, scope)
    row = 4
    for dist in distributions:
        for col, text in enumerate([dist["label"], _("Customers"), _("Share (%)")]):
            _put(ws, row, col, text, head)
        row += 1
        for item in dist["rows"]:
            _put(ws, row, 0, item["label"])
            _put(ws, row, 1, item["count"])
            _put(ws, row, 2, item["share"], pct)
            row += 1
        _put(ws, row, 0, _("Total"), bold)
        _put(ws, row, 1, dist["total"], bold)
        row += 2
    ws.set_column(0, 0, 34)
    ws.set_column(1, 2, 12)

    ws = wb.add_worksheet(_sheet_name(_("Value × potential")))
    _put(ws, 0, 0, f"{_('Value tier')} \\ {_('Potential tier')}", head)
    for col, column in enumerate(matrix["columns"], 1):
        _put(ws, 0, col, column["label"], head)
    for r, line in enumerate(matrix["rows"], 1):
        _put(ws, r, 0, line["label"], bold)
        for col, cell in enumerate(line["cells"], 1):
            _put(ws, r, col, cell["count"])
    ws.set_column(0, 3, 22)

    ws = wb.add_worksheet(_sheet_name(_("Customers")))
    for col, (key, _getter) in enumerate(CUSTOMER_COLUMNS):
        _put(ws, 0, col, _header(key), head)
    rows = scores.select_related("customer", "customer__owner", "customer__maturity").order_by(
        "customer__number"
    )
    for r, score in enumerate(rows.iterator(chunk_size=2000), 1):
        for col, (_key, getter) in enumerate(CUSTOMER_COLUMNS):
            _put(ws, r, col, getter(score))
    ws.freeze_panes(1, 2)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 36)
    ws.set_column(2, len(CUSTOMER_COLUMNS), 14)
    wb.close()
    return out.getvalue()
