"""Editing a classification standard: a structured form over every threshold and
weight, and a JSON editor. Both end in `standards.validate_config`; its messages
are attached to the input (or table) they are about, and nothing is saved while
any remains.

The same layout, unbound, renders the readable tables of a standard.
"""

import copy
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.customers import choices as customer_choices

from . import choices
from .facts_types import RULE_FIELDS
from .standards import validate_config

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


def _number(label, *, integer: bool = False, required: bool = True) -> NumberField:
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


_MISSING = object()


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


def _code_label(section: str, code: Any) -> str:
    choice_cls = CODE_LABELS.get(section)
    try:
        return str(choice_cls(code).label) if choice_cls else str(code)
    except ValueError:
        return str(code)


class StandardConfigForm(forms.Form):
    """Every number of a standard as an input. Built from `base` (the stored
    config); sections that the form does not show are kept as they are."""

    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(
        self,
        *args: Any,
        base: dict[str, Any],
        compare: dict[str, Any] | None = None,
        extra_rows: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base = base
        self.compare = compare
        self.extra_rows = extra_rows
        self.paths: dict[str, Path] = {}
        self.optional: set[str] = set()  # blank -> key removed (or null)
        self.lists: dict[Path, tuple[list[str], int]] = {}  # variable lists: columns, rows
        self.row_map: dict[Path, list[int]] = {}
        self.section_errors: dict[str, list[str]] = {}
        self.config_errors: list[str] = []
        self.config: dict[str, Any] | None = None
        self.sections = self._build()
        self.fields["name"].widget.attrs["class"] = "form-control"
        self._label_cells()

    # -- building ---------------------------------------------------------------

    def _add(self, path: Path, form_field: forms.Field, value: Any = _MISSING) -> Cell:
        name = field_name(path)
        self.fields[name] = form_field
        self.paths[name] = path
        self.initial[name] = get_path(self.base, path) if value is _MISSING else value
        css = "form-select form-select-sm" if isinstance(form_field, forms.ChoiceField) else ""
        if isinstance(form_field, forms.BooleanField):
            css = "form-check-input"
        form_field.widget.attrs["class"] = css or "form-control form-control-sm"
        return Cell(name, path)

    def _num(self, path: Path, label: Any, *, integer: bool = False, optional: bool = False):
        cell = self._add(path, _number(label, integer=integer, required=not optional))
        if optional:
            self.optional.add(cell.name)
        return cell

    def _choice(self, path: Path, label: Any, options: list[tuple[str, Any]]) -> Cell:
        return self._add(path, forms.ChoiceField(label=label, choices=options))

    def _band_table(
        self,
        section: str,
        key: str,
        title: Any,
        columns: list[tuple[str, Any, bool, bool]],
    ) -> Table:
        """Rows fixed by their codes (tiers, grades); columns (key, label, integer, optional)."""
        rows = []
        bands = get_path(self.base, (section, key), [])
        for i, band in enumerate(bands if isinstance(bands, list) else []):
            code = band.get("code", "") if isinstance(band, dict) else ""
            cells: list[Cell | None] = []
            for col, label, integer, optional in columns:
                if not isinstance(band, dict) or (optional and col not in band):
                    cells.append(None)
                    continue
                cells.append(
                    self._num((section, key, i, col), label, integer=integer, optional=optional)
                )
            rows.append(Row(_code_label(section, code), cells, (section, key, i)))
        return Table(title, [c[1] for c in columns], rows, (section, key))

    def _points_table(self, section: str, key: str, title: Any, min_label: Any) -> Table:
        """Variable rows of (min, points); a row left blank is removed."""
        path = (section, key)
        existing = get_path(self.base, path, [])
        count = len(existing) + (EXTRA_BAND_ROWS if self.extra_rows else 0)
        rows = []
        for i in range(count):
            lo = self._num((*path, i, "min"), min_label, optional=True)
            pts = self._num((*path, i, "points"), _("Points"), integer=True, optional=True)
            rows.append(Row("", [lo, pts], (*path, i)))
        self.lists[path] = (["min", "points"], count)
        return Table(title, [min_label, _("Points")], rows, path, variable=True)

    def _rules_table(self, section: str, title: Any, dimensions: bool) -> Table:
        path = (section, "rules")
        existing = get_path(self.base, path, [])
        count = len(existing) + (EXTRA_RULE_ROWS if self.extra_rows else 0)
        field_options = [("", _("— none (row removed) —"))] + [
            (key, FIELD_LABELS.get(key, key)) for key in RULE_FIELDS
        ]
        op_options = list(OP_LABELS.items())
        dim_options = list(choices.PotentialDimension.choices)
        columns = ([_("Dimension")] if dimensions else []) + [
            _("Field"),
            _("Condition"),
            _("Value"),
            _("Points"),
            _("Label"),
        ]
        rows = []
        for i in range(count):
            rule = existing[i] if i < len(existing) and isinstance(existing[i], dict) else {}
            p = (*path, i)
            cells: list[Cell | None] = []
            if dimensions:
                cells.append(
                    self._add(
                        (*p, "dimension"),
                        forms.ChoiceField(
                            label=_("Dimension"), choices=dim_options, required=False
                        ),
                        rule.get("dimension", "need_fit"),
                    )
                )
            cells.append(
                self._add(
                    (*p, "field"),
                    forms.ChoiceField(label=_("Field"), choices=field_options, required=False),
                    rule.get("field", ""),
                )
            )
            cells.append(
                self._add(
                    (*p, "op"),
                    forms.ChoiceField(label=_("Condition"), choices=op_options, required=False),
                    rule.get("op", "eq"),
                )
            )
            value = rule.get("value")
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            cells.append(
                self._add(
                    (*p, "value"),
                    forms.CharField(label=_("Value"), required=False, max_length=500),
                    "" if shown is None else str(shown),
                )
            )
            cells.append(
                self._add(
                    (*p, "points"),
                    _number(_("Points"), integer=True, required=False),
                    rule.get("points"),
                )
            )
            cells.append(
                self._add(
                    (*p, "label"),
                    forms.CharField(label=_("Label"), required=False, max_length=120),
                    rule.get("label", ""),
                )
            )
            rows.append(Row("", cells, p))
        self.lists[path] = (["rule"], count)
        return Table(title, columns, rows, path, variable=True)

    def _weights(self, section: str, keys: list[tuple[str, Any]]) -> Fields:
        return Fields(
            [(label, self._num((section, "weights", k), label, integer=True)) for k, label in keys]
        )

    def _build(self) -> list[Section]:
        n = self._num
        pct = _("Minimum margin (%)")
        sections = [
            Section(
                "windows",
                _("Windows"),
                _("“12-month sales” and RFM use the sales window; interaction frequency uses "
                  "the interaction window."),  # fmt: skip
                [
                    Fields(
                        [
                            (_("Sales window (days)"), n(("windows", "sales_days"), "", integer=True)),  # noqa: E501
                            (_("Interaction window (days)"), n(("windows", "interaction_days"), "", integer=True)),  # noqa: E501
                        ]
                    )
                ],
            ),
            Section(
                "value_tier",
                _("Value tier (价值分层)"),
                _("Tried from the top: the first tier whose sales minimum is reached and whose "
                  "margin minimum is met wins. The lowest tier starts at 0."),  # fmt: skip
                [
                    Fields(
                        [
                            (
                                _("Strategic flag makes a customer strategic"),
                                self._add(
                                    ("value_tier", "strategic_flag"),
                                    forms.BooleanField(label="", required=False),
                                ),
                            )
                        ]
                    ),
                    self._band_table(
                        "value_tier",
                        "bands",
                        _("Bands"),
                        [
                            ("min_sales", _("12-month sales from (CNY)"), False, False),
                            ("min_margin_pct", pct, False, True),
                        ],
                    ),
                ],
            ),
            Section(
                "potential",
                _("Potential tier (潜力分层)"),
                _("Each dimension scores the points of its matching rules (0–100); the "
                  "potential score is their weighted sum. Weights must add up to 100."),  # fmt: skip
                [
                    self._weights(
                        "potential",
                        [(k, _("Weight: %(dimension)s") % {"dimension": label})
                         for k, label in choices.PotentialDimension.choices],  # fmt: skip
                    ),
                    self._band_table(
                        "potential", "bands", _("Tiers"), [("min", _("Score from"), False, False)]
                    ),
                    self._rules_table("potential", _("Points rules"), dimensions=True),
                ],
            ),
            Section(
                "rfm",
                _("RFM"),
                _("Scores 1–5 per metric. Quintiles split the buying customers into fifths; "
                  "fixed cut-offs use the four values below."),  # fmt: skip
                [
                    Table(
                        _("Metrics"),
                        [_("Method"), "c1", "c2", "c3", "c4"],
                        [
                            Row(
                                label,
                                [self._choice(("rfm", m, "method"), _("Method"), RFM_METHODS)]
                                + [
                                    n(("rfm", m, "cutoffs", i), f"c{i + 1}", integer=m != "monetary")  # noqa: E501
                                    for i in range(4)
                                ],
                                ("rfm", m),
                            )
                            for m, label in (
                                ("recency", _("Recency (days since last order)")),
                                ("frequency", _("Frequency (order days)")),
                                ("monetary", _("Monetary (12-month sales, CNY)")),
                            )
                        ],
                        ("rfm",),
                    ),
                    Fields([(_("A score counts as high from"), n(("rfm", "high_min"), "", integer=True))]),  # noqa: E501
                ],
            ),
            Section(
                "four_class",
                _("Four classes (四类客户)"),
                _("Checked in order: high value, potential, stable; everyone else with orders "
                  "is low value / silent."),  # fmt: skip
                [
                    Table(
                        _("Classes"),
                        [
                            _("Annual sales from (CNY)"),
                            _("Ordered within (days)"),
                            _("Customer for at least (days)"),
                            _("Customer for less than (days)"),
                        ],
                        [
                            Row(
                                _code_label("four_class", code),
                                [n(("four_class", code, "min_sales"), "")]
                                + [
                                    n(("four_class", code, key), "", integer=True, optional=True)
                                    if key in get_path(self.base, ("four_class", code), {})
                                    else None
                                    for key in (
                                        "max_recency_days",
                                        "min_tenure_days",
                                        "max_tenure_days",
                                    )
                                ],
                                ("four_class", code),
                            )
                            for code in ("high_value", "potential", "stable")
                        ],
                        ("four_class",),
                    ),
                    Fields([(_("Silent after (days without an order)"), n(("four_class", "silent_days"), "", integer=True))]),  # noqa: E501
                ],
            ),
            Section(
                "health",
                _("Health score (健康度)"),
                _("Four components of 0–100 each, weighted; the weights must add up to 100."),
                [
                    self._weights(
                        "health",
                        [
                            ("sales", _("Weight: sales")),
                            ("repurchase", _("Weight: repurchase rate")),
                            ("satisfaction", _("Weight: satisfaction")),
                            ("interaction", _("Weight: interaction frequency")),
                        ],
                    ),
                    Fields(
                        [
                            (_("Sales scoring 100 (CNY)"), n(("health", "sales_reference"), "")),
                            (_("Interactions scoring 100"), n(("health", "interaction_target"), "", integer=True)),  # noqa: E501
                            (_("Satisfaction score without a rating"), n(("health", "satisfaction_unknown"), "", integer=True)),  # noqa: E501
                            (_("A component is a problem below"), n(("health", "problem_below"), "", integer=True)),  # noqa: E501
                        ]
                    ),
                    self._band_table(
                        "health",
                        "grades",
                        _("Grades"),
                        [
                            ("min", _("Score from"), False, False),
                            ("next_days", _("Next evaluation after (days)"), True, False),
                        ],
                    ),
                ],
            ),
            Section(
                "lead",
                _("Lead score (线索评分)"),
                _("The points of every matching rule are added up."),
                [
                    self._rules_table("lead", _("Points rules"), dimensions=False),
                    Fields([(_("Qualified lead from (points)"), n(("lead", "qualified_min"), "", integer=True))]),  # noqa: E501
                    self._band_table(
                        "lead", "grades", _("Grades"), [("min", _("Points from"), True, False)]
                    ),
                ],
            ),
            Section(
                "lifecycle",
                _("Lifecycle and dormancy (生命周期)"),
                "",
                [
                    Fields(
                        [
                            (_("Churned after (days without activity)"), n(("lifecycle", "churn_days"), "", integer=True)),  # noqa: E501
                            (_("Dormant after (days without interaction)"), n(("lifecycle", "dormant_days"), "", integer=True)),  # noqa: E501
                            (_("Formation period (days since first order)"), n(("lifecycle", "formation_days"), "", integer=True)),  # noqa: E501
                            (_("Decline when recent sales fall below (% of the half before)"), n(("lifecycle", "decline_pct"), "", integer=True)),  # noqa: E501
                            (_("Decline after (days without an order)"), n(("lifecycle", "decline_gap_days"), "", integer=True)),  # noqa: E501
                        ]
                    )
                ],
            ),
            Section(
                "credit",
                _("Credit rating (信用等级)"),
                _("Points for the average monthly payment, the payment method and the plan "
                  "completion are added up; the total gives the rating."),  # fmt: skip
                [
                    self._points_table(
                        "credit",
                        "monthly_payment",
                        _("Average monthly payment"),
                        _("Payment from (CNY)"),
                    ),
                    Fields(
                        [
                            (
                                _("Points: %(method)s") % {"method": label},
                                n(("credit", "payment_method", code), "", integer=True, optional=True),  # noqa: E501
                            )
                            for code, label in choices.PaymentMethod.choices
                        ]
                        + [(_("Points without a sales plan"), n(("credit", "no_plan_points"), "", integer=True))]  # noqa: E501
                    ),
                    self._points_table(
                        "credit",
                        "plan_completion",
                        _("Plan completion"),
                        _("Completion from (%)"),
                    ),
                    self._band_table(
                        "credit",
                        "grades",
                        _("Ratings"),
                        [
                            ("min", _("Points from"), False, False),
                            ("limit_months", _("Credit limit (months of payment)"), False, False),
                            ("term_days", _("Payment term (days)"), True, False),
                        ],
                    ),
                ],
            ),
            Section(
                "pyramid",
                _("Pyramid and ABC (客户金字塔 / 帕累托)"),
                _("Pyramid: cumulative top shares of the buying customers. ABC: cumulative "
                  "shares of 12-month sales."),  # fmt: skip
                [
                    Fields(
                        [
                            (_("Pyramid ranked by"), self._choice(("pyramid", "metric"), "", PYRAMID_METRICS)),  # noqa: E501
                            (_("Key customers: top (%)"), n(("pyramid", "top_pct", "key"), "")),
                            (_("Major customers: down to top (%)"), n(("pyramid", "top_pct", "major"), "")),  # noqa: E501
                            (_("Ordinary customers: down to top (%)"), n(("pyramid", "top_pct", "ordinary"), "")),  # noqa: E501
                            (_("ABC: A up to (% of sales)"), n(("abc", "a_pct"), "")),
                            (_("ABC: B up to (% of sales)"), n(("abc", "b_pct"), "")),
                        ]
                    )
                ],
            ),
            Section(
                "maturity",
                _("Maturity class (成熟度)"),
                "",
                [Fields([(_("Class 1 pays within (days)"), n(("maturity", "promise_days"), "", integer=True))])],  # noqa: E501
            ),
        ]
        return sections

    def _label_cells(self) -> None:
        """Inputs in tables have no visible label of their own: name them for screen readers."""
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Fields):
                    for label, cell in block.items:
                        self.fields[cell.name].widget.attrs["aria-label"] = str(label)
                    continue
                for row in block.rows:
                    for column, cell in zip(block.columns, row.cells, strict=False):
                        if cell is not None:
                            text = f"{row.label} · {column}" if row.label else str(column)
                            self.fields[cell.name].widget.attrs["aria-label"] = text

    # -- validation -------------------------------------------------------------------

    def _rule_value(self, rule_field: str, op: str, text: str) -> Any:
        kind = RULE_FIELDS.get(rule_field, ("str",))[0]

        def one(item: str) -> Any:
            if kind in ("int", "money"):
                try:
                    return NumberField().to_python(item)
                except ValidationError:
                    return item  # the standard's check names the problem
            return item

        if op in ("in", "not_in"):
            return [one(v.strip()) for v in re.split(r"[,，]", text) if v.strip()]
        return one(text.strip())

    def _lists(self, data: dict[str, Any], config: dict[str, Any]) -> None:
        for path, (columns, count) in self.lists.items():
            rows, mapping = [], []
            for i in range(count):
                prefix = field_name((*path, i))
                if columns == ["rule"]:
                    rule_field = data.get(f"{prefix}{SEP}field") or ""
                    if not rule_field:
                        continue
                    op = data.get(f"{prefix}{SEP}op") or ""
                    rule: dict[str, Any] = {}
                    if f"{prefix}{SEP}dimension" in self.fields:
                        rule["dimension"] = data.get(f"{prefix}{SEP}dimension") or ""
                    rule.update({"field": rule_field, "op": op})
                    if not op.startswith("is_"):
                        rule["value"] = self._rule_value(
                            rule_field, op, data.get(f"{prefix}{SEP}value") or ""
                        )
                    rule["points"] = data.get(f"{prefix}{SEP}points")
                    label = (data.get(f"{prefix}{SEP}label") or "").strip()
                    if label:
                        rule["label"] = label
                    rows.append(rule)
                else:
                    given = {c: data.get(f"{prefix}{SEP}{c}") for c in columns}
                    if all(v is None for v in given.values()):
                        continue
                    # a half-filled row keeps its gap, so the check reports it as missing
                    rows.append({c: v for c, v in given.items() if v is not None})
                mapping.append(i)
            set_path(config, path, rows)
            self.row_map[path] = mapping

    def build_config(self, data: dict[str, Any]) -> dict[str, Any]:
        config = copy.deepcopy(self.base)
        in_lists = {field_name(p) for p in self.lists}
        for name, path in self.paths.items():
            if any(name.startswith(prefix + SEP) for prefix in in_lists):
                continue
            value = data.get(name)
            if name in self.optional and value is None:
                if path[0] == "value_tier":
                    set_path(config, path, None)  # no margin condition
                else:
                    drop_path(config, path)
                continue
            set_path(config, path, value)
        self._lists(data, config)
        return config

    def _attach(self, path: Path, text: str) -> None:
        """Put a message next to the input it is about, else on its table or section."""
        self.config_errors.append(text)
        path = tuple(path)
        for list_path, mapping in self.row_map.items():
            n = len(list_path)
            if path[:n] == list_path and len(path) > n and isinstance(path[n], int):
                if path[n] < len(mapping):
                    path = (*list_path, mapping[path[n]], *path[n + 1 :])
                    if len(path) == n + 1:  # a whole rule or band row
                        first = "field" if list_path[-1] == "rules" else "min"
                        path = (*path, first)
        name = field_name(path)
        if name in self.fields:
            self.add_error(name, text)
            return
        key = str(path[0]) if path else ""
        if key == "abc":
            key = "pyramid"
        if key not in {s.key for s in self.sections}:
            self.add_error(None, text)
            return
        self.section_errors.setdefault(key, []).append(text)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        config = self.build_config(cleaned)
        try:
            validate_config(config)
        except ValidationError as exc:
            for path, text in messages_of(exc):
                self._attach(path, text)
            if not self.errors and self.section_errors:
                # section-level problems only: the form is still invalid
                self.add_error(None, _("The standard has problems; see the sections below."))
        else:
            self.config = config
        return cleaned

    # -- rendering ----------------------------------------------------------------------

    def _text(self, cell: Cell) -> str:
        value = self.initial.get(cell.name)
        form_field = self.fields[cell.name]
        if value is None or value == "":
            return "—"
        if isinstance(form_field, forms.BooleanField):
            return str(_("Yes") if value else _("No"))
        if isinstance(form_field, forms.ChoiceField):
            labels = {str(k): str(v) for k, v in form_field.choices}
            return labels.get(str(value), str(value))
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:,}"
        if cell.path[-1] == "value" and len(cell.path) > 3:
            return self._rule_value_text(cell, value)
        return str(value)

    def _rule_value_text(self, cell: Cell, value: str) -> str:
        rule_field = get_path(self.base, (*cell.path[:-1], "field"))
        choice_cls = VALUE_CHOICES.get(rule_field)
        if choice_cls is None:
            return value
        items = [v.strip() for v in re.split(r"[,，]", value)]
        labels = []
        for item in items:
            try:
                labels.append(str(choice_cls(item).label))
            except ValueError:
                labels.append(item)
        return ", ".join(labels)

    def _show(self, cell: Cell | None) -> dict[str, Any] | None:
        if cell is None:
            return None
        changed = False
        if self.compare is not None:
            changed = get_path(self.compare, cell.path, _MISSING) != get_path(
                self.base, cell.path, _MISSING
            )
        return {"field": self[cell.name], "text": self._text(cell), "changed": changed}

    def layout(self, *, editable: bool) -> list[dict[str, Any]]:
        """Sections with bound fields (edit) or formatted values (read)."""
        out = []
        for section in self.sections:
            blocks = []
            for block in section.blocks:
                if isinstance(block, Fields):
                    blocks.append(
                        {
                            "kind": "fields",
                            "items": [
                                {"label": label, **self._show(cell)} for label, cell in block.items
                            ],
                        }
                    )
                    continue
                rows = []
                for row in block.rows:
                    if block.variable and not editable and row.key[-1] >= len(
                        get_path(self.base, block.path, [])
                    ):
                        continue
                    rows.append({"label": row.label, "cells": [self._show(c) for c in row.cells]})
                blocks.append(
                    {
                        "kind": "table",
                        "title": block.title,
                        "columns": block.columns,
                        "rows": rows,
                        "labelled": any(r.label for r in block.rows),
                        "variable": block.variable,
                    }
                )
            out.append(
                {
                    "key": section.key,
                    "title": section.title,
                    "help": section.help,
                    "blocks": blocks,
                    "errors": self.section_errors.get(section.key, []),
                }
            )
        return out


class StandardJsonForm(forms.Form):
    """The whole standard as JSON, for changes the structured form cannot express."""

    name = forms.CharField(label=_("Name"), max_length=120)
    config = forms.CharField(
        label=pgettext_lazy("standard", "Configuration (JSON)"),
        max_length=200_000,
        widget=forms.Textarea(
            attrs={"rows": 30, "spellcheck": "false", "class": "form-control font-monospace"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["class"] = "form-control"
        self.config_errors: list[str] = []

    @staticmethod
    def dump(config: dict[str, Any]) -> str:
        return json.dumps(config, indent=2, ensure_ascii=False)

    def clean_config(self) -> dict[str, Any]:
        text = self.cleaned_data["config"]
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s): %(error)s."),
                code="json",
                params={"line": exc.lineno, "column": exc.colno, "error": exc.msg},
            ) from None
        try:
            validate_config(data)
        except ValidationError as exc:
            self.config_errors = [text for _path, text in messages_of(exc)]
            raise ValidationError(self.config_errors, code="invalid_standard") from None
        return data
