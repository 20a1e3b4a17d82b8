"""A classification standard, parsed for the rules (pure Python, no Django import).

The stored form is a JSON document (see `standards.DEFAULT_CONFIG`); it is
validated by `standards.validate_config` before it can be saved. This module
only converts a valid document into ready-to-use values: money thresholds in
integer cents, percentages as exact fractions, bands sorted best first.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any


def to_fraction(value: Any) -> Fraction:
    """Exact value of a JSON number (floats are read through their decimal text)."""
    return Fraction(Decimal(str(value)))


def to_cents(value: Any) -> int:
    return int((to_fraction(value) * 100).__round__())


@dataclass(frozen=True, slots=True)
class Band:
    """One step of a descending band table: `value >= min` earns `code`."""

    code: str
    min: int | Fraction
    extra: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PointsRule:
    field: str
    op: str
    value: Any
    points: int
    label: str
    dimension: str = ""


def _bands(rows: list[Mapping[str, Any]], money: bool = False) -> tuple[Band, ...]:
    bands = []
    for row in rows:
        threshold = to_cents(row["min"]) if money else to_fraction(row["min"])
        extra = {k: v for k, v in row.items() if k not in ("code", "min")}
        exact = Fraction(threshold)
        minimum = int(exact) if exact.denominator == 1 else exact  # ints compare faster
        bands.append(Band(code=str(row.get("code", "")), min=minimum, extra=extra))
    return tuple(sorted(bands, key=lambda b: b.min, reverse=True))


def _rules(rows: list[Mapping[str, Any]]) -> tuple[PointsRule, ...]:
    out = []
    for row in rows:
        value = row.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = to_fraction(value)
        out.append(
            PointsRule(
                field=row["field"],
                op=row["op"],
                value=value,
                points=int(row["points"]),
                label=str(row.get("label") or row["field"]),
                dimension=str(row.get("dimension", "")),
            )
        )
    return tuple(out)


class Standard:
    """Read-only view of one version of the classification standard."""

    def __init__(self, version: int, config: Mapping[str, Any]):
        self.version = version
        self.config = config
        win = config["windows"]
        self.sales_days = int(win["sales_days"])
        self.interaction_days = int(win["interaction_days"])

        vt = config["value_tier"]
        self.strategic_flag = bool(vt["strategic_flag"])
        self.value_bands = tuple(
            (
                b["code"],
                to_cents(b["min_sales"]),
                None if b.get("min_margin_pct") is None else to_fraction(b["min_margin_pct"]),
            )
            for b in sorted(vt["bands"], key=lambda b: to_fraction(b["min_sales"]), reverse=True)
        )

        pot = config["potential"]
        self.potential_weights = {k: int(v) for k, v in pot["weights"].items()}
        self.potential_rules = _rules(pot["rules"])
        self.potential_bands = _bands(pot["bands"])

        rfm = config["rfm"]
        self.rfm_methods = {m: rfm[m]["method"] for m in ("recency", "frequency", "monetary")}
        self.rfm_fixed = {
            "recency": tuple(int(v) for v in rfm["recency"]["cutoffs"]),
            "frequency": tuple(int(v) for v in rfm["frequency"]["cutoffs"]),
            "monetary": tuple(to_cents(v) for v in rfm["monetary"]["cutoffs"]),
        }
        self.rfm_high_min = int(rfm["high_min"])

        fc = config["four_class"]
        self.four_class = {
            code: {
                "min_sales": to_cents(fc[code]["min_sales"]),
                "max_recency_days": fc[code].get("max_recency_days"),
                "min_tenure_days": fc[code].get("min_tenure_days"),
                "max_tenure_days": fc[code].get("max_tenure_days"),
            }
            for code in ("high_value", "potential", "stable")
        }
        self.silent_days = int(fc["silent_days"])

        hs = config["health"]
        self.health_weights = {k: int(v) for k, v in hs["weights"].items()}
        self.health_sales_reference = to_cents(hs["sales_reference"])
        self.health_interaction_target = int(hs["interaction_target"])
        self.health_satisfaction_unknown = int(hs["satisfaction_unknown"])
        self.health_problem_below = int(hs["problem_below"])
        self.health_grades = _bands(hs["grades"])

        lead = config["lead"]
        self.lead_rules = _rules(lead["rules"])
        self.lead_qualified_min = int(lead["qualified_min"])
        self.lead_grades = _bands(lead["grades"])

        self.lifecycle = {k: int(v) for k, v in config["lifecycle"].items()}

        cr = config["credit"]
        self.credit_monthly = _bands(cr["monthly_payment"], money=True)
        self.credit_methods = {k: int(v) for k, v in cr["payment_method"].items()}
        self.credit_plan = _bands(cr["plan_completion"])
        self.credit_no_plan_points = int(cr["no_plan_points"])
        self.credit_grades = _bands(cr["grades"])

        py = config["pyramid"]
        self.pyramid_metric = py["metric"]
        self.pyramid_top_pct = tuple(
            (code, to_fraction(py["top_pct"][code])) for code in ("key", "major", "ordinary")
        )
        abc = config["abc"]
        self.abc_pct = (to_fraction(abc["a_pct"]), to_fraction(abc["b_pct"]))
        self.promise_days = int(config["maturity"]["promise_days"])

    def __repr__(self) -> str:
        return f"<Standard v{self.version}>"
