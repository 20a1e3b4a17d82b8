"""Where a customer's scores can change when only the reference date moves
(pure Python, no Django import).

With a customer's facts unchanged, the rules of rules.py depend on the reference
date only through day offsets — as_of minus a date fact (last order, first order,
last interaction, creation, promised payment) — compared with integer thresholds,
and on the population cut-offs. `day_thresholds` lists every such comparison;
`value_thresholds` lists the cut-offs that compare facts which do not move with the
date. The nightly run (nightly.py) rescores only the customers whose offsets or
values lie between a threshold's old and new position; the property test
(tests/scoring/test_nightly.py) proves the result equals scoring everyone.
Any rule added to rules.py that reads a day offset must be listed here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

from .results import Cutoffs
from .standard_types import PointsRule, Standard

# Facts date columns whose offset from as_of the rules compare.
LAST_ORDER, FIRST_ORDER, LAST_INTERACTION, CREATED, PROMISED = (
    "last_on",
    "first_on",
    "last_int_on",
    "created_on",
    "promised",
)
DATE_COLUMNS = (LAST_ORDER, FIRST_ORDER, LAST_INTERACTION, CREATED, PROMISED)
# Points-rule fields that are day offsets, and the date column each counts from.
RULE_DAY_FIELDS = {"recency_days": LAST_ORDER, "days_since_interaction": LAST_INTERACTION}

Key = tuple[str, str]  # (date column, what compares it)


def _integers(value: Fraction | int) -> list[int]:
    """An integer offset compares with a fraction exactly as with its floor or ceiling."""
    f = Fraction(value)
    return sorted({math.floor(f), math.ceil(f)})


def _rule_days(rules: tuple[PointsRule, ...], prefix: str) -> dict[Key, int]:
    out: dict[Key, int] = {}
    for i, rule in enumerate(rules):
        column = RULE_DAY_FIELDS.get(rule.field)
        if column is None or rule.op in ("is_true", "is_false", "is_set", "is_blank"):
            continue
        targets = rule.value if rule.op in ("in", "not_in") else [rule.value]
        for j, target in enumerate(targets):
            for k, t in enumerate(_integers(target)):
                out[(column, f"{prefix}{i}.{j}.{k}")] = t
    return out


def day_thresholds(std: Standard, cut: Cutoffs) -> dict[Key, int]:
    """Every (date column, label) -> threshold t such that a rule compares
    (as_of - column) with t. Labels pair the same comparison across two runs."""
    out: dict[Key, int] = {}
    for i, c in enumerate(cut.recency):  # rfm: R counts the cut-offs recency exceeds
        out[(LAST_ORDER, f"r{i}")] = int(c)
    for code, spec in std.four_class.items():  # four_class
        if spec.get("max_recency_days") is not None:
            out[(LAST_ORDER, f"fc.{code}.rec")] = int(spec["max_recency_days"])
        for key in ("min_tenure_days", "max_tenure_days"):
            if spec.get(key) is not None:
                out[(FIRST_ORDER, f"fc.{code}.{key}")] = int(spec[key])
    out[(LAST_ORDER, "fc.silent")] = int(std.silent_days)
    cfg = std.lifecycle  # lifecycle: idle and silent are offsets of the latest of several dates
    for column in (LAST_ORDER, LAST_INTERACTION, CREATED):
        out[(column, "lc.churn")] = int(cfg["churn_days"])
    for column in (LAST_INTERACTION, CREATED):
        out[(column, "lc.dormant")] = int(cfg["dormant_days"])
    out[(FIRST_ORDER, "lc.formation")] = int(cfg["formation_days"])
    out[(LAST_ORDER, "lc.decline")] = int(cfg["decline_gap_days"])
    out.update(_rule_days(std.lead_rules, "lead"))
    out.update(_rule_days(std.potential_rules, "pot"))
    out[(PROMISED, "maturity.broken")] = 0  # maturity_auto: promised < as_of
    return out


def value_thresholds(cut: Cutoffs) -> dict[str, list[int | None]]:
    """Cut-offs compared with facts that do not move with the date, per facts column
    ("pyramid" is the standard's pyramid metric)."""
    return {
        "n_days": list(cut.frequency),
        "sales_m": list(cut.monetary),
        "pyramid": list(cut.pyramid),
        "sales_abc": list(cut.abc),
    }


@dataclass(frozen=True)
class Band:
    """Customers whose `column` lies in [low, high] (dates or values) need rescoring."""

    column: str
    low: int | dt.date
    high: int | dt.date


def day_bands(
    old: dict[Key, int], new: dict[Key, int], old_as_of: dt.date, as_of: dt.date
) -> list[Band] | None:
    """Date ranges of each column where some comparison flips between the old run
    and this one; None when the comparisons do not pair up (rescore everyone).

    In offsets at the new date, a comparison of the offset with t before is one with
    t + delta now (delta = as_of - old_as_of); for <, <=, >, >=, = and <> the result
    can differ only for offsets between the two, inclusive, and not at all when they
    are equal."""
    if old.keys() != new.keys():
        return None
    delta = (as_of - old_as_of).days
    merged: dict[tuple[str, int, int], None] = {}
    for key, t_new in new.items():
        t_old = old[key] + delta
        if t_old == t_new:  # the same comparison of the same offsets: nothing flips
            continue
        low, high = min(t_old, t_new), max(t_old, t_new)
        merged[(key[0], low, high)] = None
    return [
        Band(column, as_of - dt.timedelta(days=high), as_of - dt.timedelta(days=low))
        for column, low, high in merged
    ]


def value_bands(
    old: dict[str, list[int | None]], new: dict[str, list[int | None]]
) -> list[Band] | None:
    """Value ranges between each old and new cut-off; None when they do not pair up
    (a level appeared or vanished: rescore everyone)."""
    out = []
    for column, news in new.items():
        olds = old.get(column, [])
        if len(olds) != len(news):
            return None
        for o, n in zip(olds, news, strict=True):
            if o is None or n is None:
                if o is not n:
                    return None
                continue
            if o != n:
                out.append(Band(column, min(o, n), max(o, n)))
    return out
