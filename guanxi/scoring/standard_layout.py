"""Building blocks of the standard editor (`forms_standard.py`): labels of rule
fields and conditions, the scalar inputs of each section, paths into the JSON
document, the number field, and the layout types (sections, tables, rows)."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.customers import choices as customer_choices

from . import choices

Path = tuple[str | int, ...]
SEP = "__"
EXTRA_RULE_ROWS = 3
EXTRA_BAND_ROWS = 1

FIELD_LABELS = {
    "industry": _("Industry"),
    "size_band": _("Company size"),
    "source": _("Source"),
    "stage": _("Funnel stage"),
    "urgency": _("Urgency"),
    "potential_class": _("Potential class"),
    "contract_status": _("Contract status"),
    "payment_method": _("Payment method"),
    "is_strategic": _("Strategic flag"),
    "budget_known": _("Budget known"),
    "decision_maker_known": _("Decision maker known"),
    "key_person_known": _("Key person known"),
    "has_orders": _("Has ordered"),
    "sales_growing": _("Sales growing"),
    "satisfaction": _("Satisfaction (1–5)"),
    "contacts": _("Number of contacts"),
    "needs_open": _("Open needs"),
    "needs_matched": _("Needs with a matched solution"),
    "interactions_recent": _("Recent interactions"),
    "order_days": _("Order days in the window"),
    "orders_total": _("Orders in total"),
    "recency_days": _("Days since last order"),
    "days_since_interaction": _("Days since last interaction"),
    "sales": _("12-month sales (CNY)"),
}
OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "in": _("is one of"),
    "not_in": _("is none of"),
    "gte": "≥",
    "gt": ">",
    "lte": "≤",
    "lt": "<",
    "is_true": _("is true"),
    "is_false": _("is false"),
    "is_set": _("is filled in"),
    "is_blank": _("is blank"),
}
# Codes a rule value may name, shown with their labels in the readable tables.
VALUE_CHOICES = {
    "industry": customer_choices.Industry,
    "size_band": customer_choices.SizeBand,
    "source": customer_choices.Source,
    "stage": customer_choices.Stage,
    "urgency": customer_choices.Level,
    "potential_class": customer_choices.PotentialClass,
    "contract_status": customer_choices.ContractStatus,
    "payment_method": choices.PaymentMethod,
}
CODE_LABELS = {
    "value_tier": choices.ValueTier,
    "potential": choices.PotentialTier,
    "health": choices.HealthGrade,
    "lead": choices.LeadGrade,
    "credit": choices.CreditRating,
    "four_class": choices.FourClass,
}
RFM_METHODS = [("quintile", _("Quintiles of the population")), ("fixed", _("Fixed cut-offs"))]
PYRAMID_METRICS = [("profit", _("12-month gross profit")), ("sales", _("12-month sales"))]
RFM_LABELS = [
    ("recency", _("Recency (days since last order)")),
    ("frequency", _("Frequency (order days)")),
    ("monetary", _("Monetary (12-month sales, CNY)")),
]
SECTION_HELP = {
    "windows": _(
        "“12-month sales” and RFM use the sales window; interaction frequency uses the "
        "interaction window."
    ),
    "value_tier": _(
        "Tried from the top: the first tier whose sales minimum is reached and whose "
        "margin minimum is met wins. The lowest tier starts at 0."
    ),
    "potential": _(
        "Each dimension scores the points of its matching rules (0–100); the potential "
        "score is their weighted sum. Weights must add up to 100."
    ),
    "rfm": _(
        "Scores 1–5 per metric. Quintiles split the buying customers into fifths; fixed "
        "cut-offs use the four values below."
    ),
    "four_class": _(
        "Checked in order: high value, potential, stable; everyone else with orders is "
        "low value / silent."
    ),
    "credit": _(
        "Points for the average monthly payment, the payment method and the plan "
        "completion are added up; the total gives the rating."
    ),
    "pyramid": _(
        "Pyramid: cumulative top shares of the buying customers. ABC: cumulative shares "
        "of 12-month sales."
    ),
}
# Scalar inputs per section: (path, label, kind); kind "int", "number", "int?" (optional).
WINDOW_FIELDS = [
    (("windows", "sales_days"), _("Sales window (days)"), "int"),
    (("windows", "interaction_days"), _("Interaction window (days)"), "int"),
]
HEALTH_WEIGHT_LABELS = [
    ("sales", _("Weight: sales")),
    ("repurchase", _("Weight: repurchase rate")),
    ("satisfaction", _("Weight: satisfaction")),
    ("interaction", _("Weight: interaction frequency")),
]
HEALTH_FIELDS = [
    (("health", "sales_reference"), _("Sales scoring 100 (CNY)"), "number"),
    (("health", "interaction_target"), _("Interactions scoring 100"), "int"),
    (("health", "satisfaction_unknown"), _("Satisfaction score without a rating"), "int"),
    (("health", "problem_below"), _("A component is a problem below"), "int"),
]
LIFECYCLE_FIELDS = [
    (("lifecycle", "churn_days"), _("Churned after (days without activity)"), "int"),
    (("lifecycle", "dormant_days"), _("Dormant after (days without interaction)"), "int"),
    (("lifecycle", "formation_days"), _("Formation period (days since first order)"), "int"),
    (
        ("lifecycle", "decline_pct"),
        # xgettext:no-python-format
        _("Decline when recent sales fall below (% of the half before)"),
        "int",
    ),
    (("lifecycle", "decline_gap_days"), _("Decline after (days without an order)"), "int"),
]
PYRAMID_FIELDS = [
    (("pyramid", "top_pct", "key"), _("Key customers: top (%)"), "number"),
    (("pyramid", "top_pct", "major"), _("Major customers: down to top (%)"), "number"),
    (("pyramid", "top_pct", "ordinary"), _("Ordinary customers: down to top (%)"), "number"),
    # xgettext:no-python-format
    (("abc", "a_pct"), _("ABC: A up to (% of sales)"), "number"),
    # xgettext:no-python-format
    (("abc", "b_pct"), _("ABC: B up to (% of sales)"), "number"),
]


# --- fields -------------------------------------------------------------------


class NumberField(forms.Field):
    """A JSON number. Whole numbers stay int; "1,000,000" is accepted. Negative
    values pass, so the standard's own check can say why they are refused."""

    widget = forms.TextInput

    def __init__(self, *, integer: bool = False, **kwargs: Any) -> None:
        self.integer = integer
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric" if self.integer else "decimal", "maxlength": "24"})
        return attrs

    def to_python(self, value: Any) -> int | float | None:
        if value in self.empty_values:
            return None
        text = re.sub(r"[\s,，_]", "", str(value))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Enter a number."), code="invalid") from None
        if not number.is_finite() or len(text) > 24:
            raise ValidationError(_("Enter a number."), code="invalid")
        if number == number.to_integral_value():
            return int(number)
        if self.integer:
            raise ValidationError(_("Enter a whole number."), code="integer")
        return float(text)


def number_field(label, *, integer: bool = False, required: bool = True) -> NumberField:
    return NumberField(label=label, integer=integer, required=required)


# --- paths ----------------------------------------------------------------------


def field_name(path: Path) -> str:
    return SEP.join(str(p) for p in path)


def parse_path(text: str) -> Path:
    """'health.grades[1].min' -> ('health', 'grades', 1, 'min')."""
    out: list[str | int] = []
    for token in re.findall(r"\[\d+\]|[^.\[\]]+", text or ""):
        out.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(out)


MISSING = object()


def get_path(data: Any, path: Path, default: Any = None) -> Any:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return default
    return data


def set_path(data: Any, path: Path, value: Any) -> None:
    for key in path[:-1]:
        if isinstance(key, str) and isinstance(data, dict) and key not in data:
            data[key] = {}
        data = data[key]
    data[path[-1]] = value


def drop_path(data: Any, path: Path) -> None:
    parent = get_path(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def messages_of(exc: ValidationError) -> list[tuple[Path, str]]:
    """(path, text) of every problem validate_config reported."""
    out = []
    for error in exc.error_list:
        params = error.params or {}
        text = str(error.message) % params if params else str(error.message)
        out.append((parse_path(str(params.get("path", ""))), text))
    return out


# --- layout ----------------------------------------------------------------------


@dataclass
class Cell:
    name: str
    path: Path


@dataclass
class Row:
    label: Any
    cells: list[Cell | None]
    key: Path = ()


@dataclass
class Table:
    title: Any
    columns: list[Any]
    rows: list[Row]
    path: Path = ()
    variable: bool = False  # rows can be added (blank row) or removed (cleared)


@dataclass
class Fields:
    items: list[tuple[Any, Cell]]


@dataclass
class Section:
    key: str
    title: Any
    help: Any = ""
    blocks: list[Any] = field(default_factory=list)


def code_label(section: str, code: Any) -> str:
    choice_cls = CODE_LABELS.get(section)
    try:
        return str(choice_cls(code).label) if choice_cls else str(code)
    except ValueError:
        return str(code)
