"""Editing a classification standard: a structured form over every threshold and
weight, and a JSON editor. Both end in `standards.validate_config`; its messages
are attached to the input (or table) they are about, and nothing is saved while
any remains.

The same layout, unbound, renders the readable tables of a standard.
"""

import copy
import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import join_list

from . import choices
from .facts_types import RULE_FIELDS
from .standard_layout import (
    EXTRA_BAND_ROWS,
    EXTRA_RULE_ROWS,
    FIELD_LABELS,
    HEALTH_FIELDS,
    HEALTH_WEIGHT_LABELS,
    LIFECYCLE_FIELDS,
    MISSING,
    OP_LABELS,
    PYRAMID_FIELDS,
    PYRAMID_METRICS,
    RFM_LABELS,
    RFM_METHODS,
    SECTION_HELP,
    SEP,
    VALUE_CHOICES,
    WINDOW_FIELDS,
    Cell,
    Fields,
    NumberField,
    Path,
    Row,
    Section,
    Table,
    code_label,
    drop_path,
    field_name,
    get_path,
    messages_of,
    number_field,
    set_path,
)
from .standards import validate_config


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

    def _add(self, path: Path, form_field: forms.Field, value: Any = MISSING) -> Cell:
        name = field_name(path)
        self.fields[name] = form_field
        self.paths[name] = path
        self.initial[name] = get_path(self.base, path) if value is MISSING else value
        css = "form-select form-select-sm" if isinstance(form_field, forms.ChoiceField) else ""
        if isinstance(form_field, forms.BooleanField):
            css = "form-check-input"
        form_field.widget.attrs["class"] = css or "form-control form-control-sm"
        return Cell(name, path)

    def _num(self, path: Path, label: Any, *, integer: bool = False, optional: bool = False):
        cell = self._add(path, number_field(label, integer=integer, required=not optional))
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
            rows.append(Row(code_label(section, code), cells, (section, key, i)))
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
            rows.append(Row(f"#{i + 1}", [lo, pts], (*path, i)))
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
                    number_field(_("Points"), integer=True, required=False),
                    rule.get("points"),
                )
            )
            cells.append(
                self._add(
                    (*p, "label"),
                    forms.CharField(label=_("Label"), required=False, max_length=120),
                    gettext(rule["label"]) if rule.get("label") else "",  # seed labels are msgids
                )
            )
            rows.append(Row(f"#{i + 1}", cells, p))
        self.lists[path] = (["rule"], count)
        return Table(title, columns, rows, path, variable=True)

    def _weights(self, section: str, keys: list[tuple[str, Any]]) -> Fields:
        return Fields(
            [(label, self._num((section, "weights", k), label, integer=True)) for k, label in keys]
        )

    def _fields(self, specs: list[tuple[Path, Any, str]]) -> Fields:
        """Scalar inputs: (path, label, kind) with kind int, number, int? (optional)."""
        items = []
        for path, label, kind in specs:
            optional = kind.endswith("?")
            integer = kind.startswith("int")
            items.append((label, self._num(path, label, integer=integer, optional=optional)))
        return Fields(items)

    def _rfm_table(self) -> Table:
        rows = []
        for metric, label in RFM_LABELS:
            method = self._choice(("rfm", metric, "method"), _("Method"), RFM_METHODS)
            cuts = [
                self._num(("rfm", metric, "cutoffs", i), f"c{i + 1}", integer=metric != "monetary")
                for i in range(4)
            ]
            rows.append(Row(label, [method, *cuts], ("rfm", metric)))
        return Table(_("Metrics"), [_("Method"), "c1", "c2", "c3", "c4"], rows, ("rfm",))

    def _four_class_table(self) -> Table:
        rows = []
        for code in ("high_value", "potential", "stable"):
            given = get_path(self.base, ("four_class", code), {})
            cells: list[Cell | None] = [self._num(("four_class", code, "min_sales"), "")]
            for key in ("max_recency_days", "min_tenure_days", "max_tenure_days"):
                path = ("four_class", code, key)
                cells.append(
                    self._num(path, "", integer=True, optional=True) if key in given else None
                )
            rows.append(Row(code_label("four_class", code), cells, ("four_class", code)))
        columns = [
            _("Annual sales from (CNY)"),
            _("Ordered within (days)"),
            _("Customer for at least (days)"),
            _("Customer for less than (days)"),
        ]
        return Table(_("Classes"), columns, rows, ("four_class",))

    def _build(self) -> list[Section]:
        strategic_flag = self._add(
            ("value_tier", "strategic_flag"), forms.BooleanField(label="", required=False)
        )
        method_points = [
            (
                ("credit", "payment_method", code),
                _("Points: %(method)s") % {"method": label},
                "int?",
            )
            for code, label in choices.PaymentMethod.choices
        ]
        potential_weights = [
            (key, _("Weight: %(dimension)s") % {"dimension": label})
            for key, label in choices.PotentialDimension.choices
        ]
        return [
            Section(
                "windows",
                _("Windows"),
                SECTION_HELP["windows"],
                [self._fields(WINDOW_FIELDS)],
            ),
            Section(
                "value_tier",
                _("Value tier (价值分层)"),
                SECTION_HELP["value_tier"],
                [
                    Fields([(_("Strategic flag makes a customer strategic"), strategic_flag)]),
                    self._band_table(
                        "value_tier",
                        "bands",
                        _("Bands"),
                        [
                            ("min_sales", _("12-month sales from (CNY)"), False, False),
                            ("min_margin_pct", _("Minimum margin (%)"), False, True),
                        ],
                    ),
                ],
            ),
            Section(
                "potential",
                _("Potential tier (潜力分层)"),
                SECTION_HELP["potential"],
                [
                    self._weights("potential", potential_weights),
                    self._band_table(
                        "potential", "bands", _("Tiers"), [("min", _("Score from"), False, False)]
                    ),
                    self._rules_table("potential", _("Points rules"), dimensions=True),
                ],
            ),
            Section(
                "rfm",
                _("RFM"),
                SECTION_HELP["rfm"],
                [
                    self._rfm_table(),
                    self._fields([(("rfm", "high_min"), _("A score counts as high from"), "int")]),
                ],
            ),
            Section(
                "four_class",
                _("Four classes (四类客户)"),
                SECTION_HELP["four_class"],
                [
                    self._four_class_table(),
                    self._fields(
                        [
                            (
                                ("four_class", "silent_days"),
                                _("Silent after (days without an order)"),
                                "int",
                            )
                        ]
                    ),
                ],
            ),
            Section(
                "health",
                _("Health score (健康度)"),
                _("Four components of 0–100 each, weighted; the weights must add up to 100."),
                [
                    self._weights("health", HEALTH_WEIGHT_LABELS),
                    self._fields(HEALTH_FIELDS),
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
                    self._fields(
                        [(("lead", "qualified_min"), _("Qualified lead from (points)"), "int")]
                    ),
                    self._band_table(
                        "lead", "grades", _("Grades"), [("min", _("Points from"), True, False)]
                    ),
                ],
            ),
            Section(
                "lifecycle",
                _("Lifecycle and dormancy (生命周期)"),
                "",
                [self._fields(LIFECYCLE_FIELDS)],
            ),
            Section(
                "credit",
                _("Credit rating (信用等级)"),
                SECTION_HELP["credit"],
                [
                    self._points_table(
                        "credit",
                        "monthly_payment",
                        _("Average monthly payment"),
                        _("Payment from (CNY)"),
                    ),
                    self._fields(
                        [
                            *method_points,
                            (("credit", "no_plan_points"), _("Points without a sales plan"), "int"),
                        ]
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
                SECTION_HELP["pyramid"],
                [
                    Fields(
                        [
                            (
                                _("Pyramid ranked by"),
                                self._choice(("pyramid", "metric"), "", PYRAMID_METRICS),
                            )
                        ]
                    ),
                    self._fields(PYRAMID_FIELDS),
                ],
            ),
            Section(
                "maturity",
                _("Maturity class (成熟度)"),
                "",
                [
                    self._fields(
                        [(("maturity", "promise_days"), _("Class 1 pays within (days)"), "int")]
                    )
                ],
            ),
        ]

    def _label_cells(self) -> None:
        """Inputs in tables have no visible label of their own: name them for screen readers."""
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Fields):
                    for label, cell in block.items:
                        self._name_cell(cell, str(label))
                    continue
                for row in block.rows:
                    for column, cell in zip(block.columns, row.cells, strict=False):
                        if cell is not None:
                            text = f"{row.label} · {column}" if row.label else str(column)
                            self._name_cell(cell, text)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"

    def _name_cell(self, cell: Cell, text: str) -> None:
        form_field = self.fields[cell.name]
        form_field.widget.attrs["aria-label"] = text
        form_field.label = text  # names the input in the list of problems

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
                    kept = get_path(self.base, (*path, i, "label"), "")
                    if label and kept and label == gettext(kept):
                        label = kept  # shown translated, left as it was: keep the msgid
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
            inside = path[:n] == list_path and len(path) > n and isinstance(path[n], int)
            if inside and path[n] < len(mapping):
                path = (*list_path, mapping[path[n]], *path[n + 1 :])
                if len(path) == n + 1:  # a whole rule or band row
                    first = "field" if list_path[-1] == "rules" else "min"
                    path = (*path, first)
        name = field_name(path)
        if name in self.fields:
            self.add_error(name, text)
            return
        key = self._section_of(path) if path else ""
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
        return join_list(labels)

    def _show(self, cell: Cell | None) -> dict[str, Any] | None:
        if cell is None:
            return None
        changed = False
        if self.compare is not None:
            changed = get_path(self.compare, cell.path, MISSING) != get_path(
                self.base, cell.path, MISSING
            )
        return {"field": self[cell.name], "text": self._text(cell), "changed": changed}

    @staticmethod
    def _section_of(path: Path) -> str:
        return "pyramid" if path[0] == "abc" else str(path[0])

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
                    if (
                        block.variable
                        and not editable
                        and row.key[-1] >= len(get_path(self.base, block.path, []))
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
                    "invalid": bool(self.section_errors.get(section.key))
                    or any(
                        name in self.errors
                        for name, path in self.paths.items()
                        if self._section_of(path) == section.key
                    ),
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
