"""The rules of rules.py as SQL expressions over the facts table, for the full run.

`rules.py` stays the one source of truth: every expression here restates one of its
rules in integer SQL (no floating point, floor division spelled out because SQL
truncates toward zero), and the property test proves that a full run stores exactly
what the pure rules give for every customer. Reasons are not computed here: they are
derived on read from the same facts (`explain.py`).

Expressions read the columns of the facts table (`facts.COLUMNS`) plus the day
offsets `rec`, `ten`, `dsi` and `age` (days since the last order, the first order,
the last interaction and creation). Literals from the standard are integers we
render ourselves and strings quoted by `lit` (validated codes and choice values), so
the statement has no parameters and `%` is SQL's modulo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from .facts_types import RULE_FIELDS
from .results import HEALTH_COMPONENTS, PYRAMID_LEVELS, Cutoffs
from .standard_types import Band, PointsRule, Standard

HAS_ORDERS = "last_on IS NOT NULL"

# Facts fields a points rule may test, as SQL over the facts table.
FIELD_SQL: dict[str, str] = {
    "industry": "industry",
    "size_band": "size_band",
    "source": "source",
    "stage": "stage",
    "urgency": "urgency",
    "potential_class": "potential_class",
    "contract_status": "contract_status",
    "payment_method": "payment_method",
    "is_strategic": "is_strategic",
    "budget_known": "budget_known",
    "decision_maker_known": "dm",
    "key_person_known": "kp",
    "has_orders": f"(CASE WHEN {HAS_ORDERS} THEN 1 ELSE 0 END)",
    "sales_growing": "(CASE WHEN recent > previous THEN 1 ELSE 0 END)",
    "satisfaction": "satisfaction",
    "contacts": "n_contacts",
    "needs_open": "n_open",
    "needs_matched": "n_matched",
    "interactions_recent": "n_recent",
    "order_days": "n_days",
    "orders_total": "n_all",
    "recency_days": "rec",
    "days_since_interaction": "dsi",
    "sales": "sales",
}
NULLABLE = frozenset({"satisfaction", "recency_days", "days_since_interaction"})


def fdiv(a: str, b: str) -> str:
    """Python's floor division a // b (b non-zero) from SQL's truncating one."""
    return (
        f"(CASE WHEN (({a}) < 0) = (({b}) < 0) OR ({a}) % ({b}) = 0 "
        f"THEN ({a}) / ({b}) ELSE ({a}) / ({b}) - 1 END)"
    )


def _frac(value: Any) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _ge(expr: str, minimum: int | Fraction) -> str:
    """expr >= minimum, exactly, for an integer expression."""
    m = _frac(minimum)
    if m.denominator == 1:
        return f"{expr} >= {m.numerator}"
    return f"{expr} * {m.denominator} >= {m.numerator}"


def lit(value: str) -> str:
    """A string literal (standard-conforming quoting on both databases)."""
    if "\x00" in value:
        raise ValueError("NUL in a standard's text")
    return "'" + value.replace("'", "''") + "'"


class Builder:
    """Vendor-specific spellings while rendering one statement."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres

    def text(self, value: str) -> str:
        return lit(value)

    def boolean(self, cond: str) -> str:
        true, false = ("TRUE", "FALSE") if self.postgres else ("1", "0")
        return f"(CASE WHEN {cond} THEN {true} ELSE {false} END)"

    def date(self, day: dt.date) -> str:
        return f"DATE '{day.isoformat()}'" if self.postgres else f"'{day.isoformat()}'"

    def add_days(self, day: str, days: str) -> str:
        """The date `days` (an integer expression) after the date `day`."""
        if self.postgres:
            return f"({day} + {days})"
        return f"date({day}, ({days}) || ' days')"

    def least(self, *exprs: str) -> str:
        return f"{'LEAST' if self.postgres else 'MIN'}({', '.join(exprs)})"

    def band(self, value: str, bands: Sequence[Band]) -> str:
        """CASE over descending bands: the code of the first band `value` reaches,
        else the last band's."""
        parts = [f"WHEN {_ge(value, band.min)} THEN {lit(band.code)}" for band in bands[:-1]]
        return f"(CASE {' '.join(parts)} ELSE {lit(bands[-1].code)} END)"

    # --- points rules -------------------------------------------------------------

    def rule(self, rule: PointsRule) -> str:
        """SQL condition for facts_types.rule_matches (None never compares)."""
        kind, _getter = RULE_FIELDS[rule.field]
        col = FIELD_SQL[rule.field]
        op, target = rule.op, rule.value
        nullable = rule.field in NULLABLE
        if op == "is_true":
            return f"{col} = 1"
        if op == "is_false":
            return f"{col} = 0"
        if op in ("is_set", "is_blank"):
            blank = f"{col} IS NULL" if kind == "int" else f"{col} = ''"
            return blank if op == "is_blank" else f"NOT ({blank})"
        guard = f"{col} IS NOT NULL AND " if nullable else ""
        if op in ("in", "not_in"):
            if kind == "str":
                items = [self.text(v) for v in target]
            else:  # an integer never equals a non-integer number
                items = [str(f.numerator) for f in map(_frac, target) if f.denominator == 1]
            if not items:
                return "1 = 0" if op == "in" else (f"{col} IS NOT NULL" if nullable else "1 = 1")
            neg = "NOT " if op == "not_in" else ""
            return f"({guard}{col} {neg}IN ({', '.join(items)}))"
        sql_op = {"eq": "=", "ne": "<>", "gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[op]
        if kind == "str":
            return f"{col} {sql_op} {self.text(target)}"
        t = _frac(target)
        scale = 100 if kind == "money" else 1  # money facts are cents, targets yuan
        return f"({guard}{col} * {t.denominator} {sql_op} {t.numerator * scale})"

    def points(self, rules: Sequence[PointsRule]) -> str:
        if not rules:
            return "0"
        return " + ".join(
            f"(CASE WHEN {self.rule(r)} THEN {int(r.points)} ELSE 0 END)" for r in rules
        )


# --- the score columns -------------------------------------------------------------


def _value_tier(b: Builder, std: Standard) -> str:
    parts = []
    if std.strategic_flag:
        parts.append(f"WHEN is_strategic = 1 THEN {b.text('strategic')}")
    parts.append(f"WHEN NOT ({HAS_ORDERS}) THEN {b.text('')}")
    for code, min_sales, min_margin in std.value_bands:
        cond = f"sales >= {int(min_sales)}"
        if min_margin is not None:
            m = _frac(min_margin)
            cond += (
                f" AND (margin_base = 0 OR profit_x * {m.denominator} >= "
                f"{m.numerator} * margin_base * 100)"
            )
        parts.append(f"WHEN {cond} THEN {b.text(code)}")
    return f"(CASE {' '.join(parts)} ELSE {b.text(std.value_bands[-1][0])} END)"


def _potential_points(b: Builder, std: Standard) -> dict[str, str]:
    """Level-1 columns: raw points per potential dimension (pp_0, pp_1, ...)."""
    return {
        f"pp_{i}": b.points([r for r in std.potential_rules if r.dimension == dim])
        for i, dim in enumerate(std.potential_weights)
    }


def _potential_score(std: Standard) -> str:
    """Level-2 column `pot`: each dimension clamped to 0..100, weighted, rounded."""
    terms = [
        f"{int(weight)} * (CASE WHEN pp_{i} < 0 THEN 0 WHEN pp_{i} > 100 THEN 100 ELSE pp_{i} END)"
        for i, weight in enumerate(std.potential_weights.values())
    ]
    total = " + ".join(terms) if terms else "0"
    return f"(({total} + 50) / 100)"  # never negative: plain division floors


def rfm_sql(cut: Cutoffs) -> tuple[str, str, str]:
    def above(col: str, cutoffs: Sequence[int]) -> str:
        return " + ".join(f"(CASE WHEN {col} > {int(c)} THEN 1 ELSE 0 END)" for c in cutoffs) or "0"

    r = f"(CASE WHEN {HAS_ORDERS} THEN 5 - ({above('rec', cut.recency)}) END)"
    f = f"(CASE WHEN {HAS_ORDERS} THEN 1 + ({above('n_days', cut.frequency)}) END)"
    m = f"(CASE WHEN {HAS_ORDERS} THEN 1 + ({above('sales', cut.monetary)}) END)"
    return r, f, m


def _segment(b: Builder, std: Standard, r: str, f: str, m: str) -> str:
    high = int(std.rfm_high_min)
    kinds = [
        (f"{r} >= {high} AND {f} >= {high}", "value"),
        (f"{r} >= {high}", "develop"),
        (f"{f} >= {high}", "retain"),
    ]
    out = []
    for important in (True, False):
        prefix = "important_" if important else "general_"
        sub = " ".join(f"WHEN {cond} THEN {b.text(prefix + kind)}" for cond, kind in kinds)
        out.append(f"(CASE {sub} ELSE {b.text(prefix + 'winback')} END)")
    return (
        f"(CASE WHEN NOT ({HAS_ORDERS}) THEN {b.text('')} "
        f"WHEN {m} >= {high} THEN {out[0]} ELSE {out[1]} END)"
    )


def _four_class(b: Builder, std: Standard) -> tuple[str, str]:
    order = ("high_value", "potential", "stable")
    uppers: dict[str, int | None] = {
        "high_value": None,
        "potential": std.four_class["high_value"]["min_sales"],
        "stable": std.four_class["potential"]["min_sales"],
    }

    def fails(code: str) -> str:
        spec = std.four_class[code]
        conds = [f"sales < {int(spec['min_sales'])}"]
        if uppers[code] is not None:
            conds.append(f"sales >= {int(uppers[code])}")
        if spec["max_recency_days"] is not None:
            conds.append(f"rec > {int(spec['max_recency_days'])}")
        if spec["min_tenure_days"] is not None:
            conds.append(f"ten < {int(spec['min_tenure_days'])}")
        if spec["max_tenure_days"] is not None:
            conds.append(f"ten >= {int(spec['max_tenure_days'])}")
        return " OR ".join(conds)

    stable_min = int(std.four_class["stable"]["min_sales"])
    exact = [f"WHEN NOT ({fails(code)}) THEN {b.text(code)}" for code in order]
    band = " ".join(
        f"WHEN sales >= {int(std.four_class[c]['min_sales'])} THEN {b.text(c)}" for c in order
    )
    code = (
        f"(CASE WHEN NOT ({HAS_ORDERS}) THEN {b.text('')} {' '.join(exact)} "
        f"WHEN rec > {int(std.silent_days)} OR sales < {stable_min} THEN {b.text('low_value')} "
        f"{band} END)"
    )
    matched = " OR ".join(f"NOT ({fails(c)})" for c in order)
    is_exact = (
        f"(CASE WHEN NOT ({HAS_ORDERS}) THEN NULL WHEN {matched} THEN 1 "
        f"WHEN rec > {int(std.silent_days)} OR sales < {stable_min} THEN 1 ELSE 0 END)"
    )
    return code, is_exact


HEALTH_COLS = {"sales": "hc_sales", "repurchase": "hc_rep", "satisfaction": "hc_sat",
               "interaction": "hc_int"}  # fmt: skip


def _health_components(b: Builder, std: Standard) -> dict[str, str]:
    """Level-1 columns: the four component scores (0-100) of rules.health."""
    ref, target = int(std.health_sales_reference), int(std.health_interaction_target)
    comp = {
        "sales": b.least("100", fdiv("sales * 100", str(ref))),
        "repurchase": "(quarters * 25)",
        "satisfaction": (
            f"(CASE WHEN satisfaction IS NULL THEN {int(std.health_satisfaction_unknown)} "
            "ELSE satisfaction * 20 END)"
        ),
        "interaction": b.least("100", f"(n_recent * 100 / {target})"),
    }
    return {HEALTH_COLS[k]: comp[k] for k in HEALTH_COMPONENTS}


def _health_score(std: Standard) -> str:
    """Level-2 column `hs` from the components."""
    w = std.health_weights
    total = " + ".join(f"{int(w[k])} * {HEALTH_COLS[k]}" for k in HEALTH_COMPONENTS)
    return fdiv(f"{total} + 50", "100")


def _health(b: Builder, std: Standard, as_of: dt.date) -> dict[str, str]:
    """Final columns from `hs` and the components."""
    w = std.health_weights
    comp = HEALTH_COLS
    below = int(std.health_problem_below)
    deficit = {k: f"({int(w[k])} * (100 - {comp[k]}))" for k in HEALTH_COMPONENTS}
    picks = []
    for i, k in enumerate(HEALTH_COMPONENTS):
        beats = [  # k beats j: j is no problem, or k's deficit is larger (ties: first wins)
            f"({comp[j]} >= {below} OR {deficit[k]} {'>=' if i < n else '>'} {deficit[j]})"
            for n, j in enumerate(HEALTH_COMPONENTS)
            if j != k
        ]
        cond = " AND ".join([f"{comp[k]} < {below}", *beats])
        picks.append(f"WHEN {cond} THEN {lit('low_' + k)}")
    none = f"WHEN NOT ({HAS_ORDERS})"
    problem = f"(CASE {none} THEN '' {' '.join(picks)} ELSE '' END)"

    def due(grade: Band) -> str:  # rules.next_evaluation; age >= 0 in the population
        cycle = int(grade.extra["next_days"])
        return b.add_days(b.date(as_of), f"({cycle} - age % {cycle})")

    nxt = " ".join(f"WHEN {_ge('hs', g.min)} THEN {due(g)}" for g in std.health_grades[:-1])
    return {
        "health_score": f"(CASE WHEN {HAS_ORDERS} THEN hs END)",
        "health_grade": f"(CASE {none} THEN '' ELSE {b.band('hs', std.health_grades)} END)",
        "health_problem": problem,
        "next_evaluation_on": (
            f"(CASE {none} THEN NULL {nxt} ELSE {due(std.health_grades[-1])} END)"
        ),
    }


def _lifecycle(b: Builder, std: Standard) -> str:
    cfg = std.lifecycle
    idle = b.least("COALESCE(rec, age)", "COALESCE(dsi, age)", "age")
    silent = b.least("COALESCE(dsi, age)", "age")
    t = b.text
    return (
        f"(CASE WHEN stage = {t('lost')} THEN {t('churned')} "
        f"WHEN {idle} > {int(cfg['churn_days'])} THEN {t('churned')} "
        f"WHEN {silent} > {int(cfg['dormant_days'])} THEN {t('dormant')} "
        f"WHEN NOT ({HAS_ORDERS}) THEN {t('exploration')} "
        f"WHEN ten < {int(cfg['formation_days'])} THEN {t('formation')} "
        f"WHEN rec > {int(cfg['decline_gap_days'])} THEN {t('decline')} "
        f"WHEN previous > 0 AND recent * 100 < previous * {int(cfg['decline_pct'])} "
        f"THEN {t('decline')} ELSE {t('stable')} END)"
    )


CREDIT_NUM = "(sales * 365)"  # average monthly payment = sales * 365 / (W * 12)


def _credit_points(b: Builder, std: Standard) -> str:
    """Level-1 column `cpts`: monthly payment + payment method + plan completion.
    Literal products are multiplied here: PostgreSQL would overflow int4 on them."""
    den = int(std.sales_days) * 12

    def ratio_band(num: str, den_expr: str, den_factor: int, bands: Sequence[Band]) -> str:
        """Points of the first band with num / (den_factor * den_expr) >= min."""
        parts = []
        for band in bands[:-1]:
            m, pts = _frac(band.min), int(band.extra["points"])
            rhs = f"{m.numerator * den_factor} * {den_expr}"
            parts.append(f"WHEN {num} * {m.denominator} >= {rhs} THEN {pts}")
        return f"(CASE {' '.join(parts)} ELSE {int(bands[-1].extra['points'])} END)"

    monthly = ratio_band(CREDIT_NUM, "1", den, std.credit_monthly)
    methods = " ".join(
        f"WHEN payment_method = {b.text(k)} THEN {int(v)}" for k, v in std.credit_methods.items()
    )
    method = f"(CASE {methods} ELSE 0 END)" if methods else "0"
    plan = (
        f"(CASE WHEN plan IS NULL OR plan = 0 THEN {int(std.credit_no_plan_points)} "
        f"ELSE {ratio_band(f'{CREDIT_NUM} * 100', 'plan', den, std.credit_plan)} END)"
    )
    return f"({monthly} + {method} + {plan})"


def _credit(b: Builder, std: Standard, postgres: bool) -> dict[str, str]:
    """Final columns from `cpts`."""
    den = int(std.sales_days) * 12
    grade = b.band("cpts", std.credit_grades)

    def limit(grade: Band) -> str:  # truncates toward zero, as int(Fraction) does
        months = Fraction(str(grade.extra["limit_months"]))
        return f"({CREDIT_NUM} * {months.numerator}) / {den * months.denominator}"

    limits = [f"WHEN {_ge('cpts', g.min)} THEN {limit(g)}" for g in std.credit_grades[:-1]]
    terms = [
        f"WHEN {_ge('cpts', g.min)} THEN {int(g.extra['term_days'])}"
        for g in std.credit_grades[:-1]
    ]
    last = std.credit_grades[-1]
    cents = f"(CASE {' '.join(limits)} ELSE {limit(last)} END)"
    return {
        "credit_rating": grade,
        "credit_limit": _money(postgres, f"({fdiv(cents, '100')} * 100)"),
        "payment_term_days": f"(CASE {' '.join(terms)} ELSE {int(last.extra['term_days'])} END)",
    }


def _pyramid(b: Builder, std: Standard, cut: Cutoffs) -> str:
    value = "profit_x" if std.pyramid_metric == "profit" else "sales"
    parts = [
        f"WHEN {value} > 0 AND {value} >= {int(minimum)} THEN {b.text(code)}"
        for code, minimum in zip(PYRAMID_LEVELS, cut.pyramid, strict=True)
        if minimum is not None
    ]
    return (
        f"(CASE WHEN NOT ({HAS_ORDERS}) THEN {b.text('')} {' '.join(parts)} "
        f"ELSE {b.text('small')} END)"
    )


def _abc(b: Builder, cut: Cutoffs) -> str:
    a, bb = cut.abc
    parts = [f"WHEN NOT ({HAS_ORDERS}) THEN {b.text('')}"]
    if a is not None:
        parts.append(f"WHEN sales > 0 AND sales >= {int(a)} THEN {b.text('A')}")
    if bb is not None:
        parts.append(f"WHEN sales > 0 AND sales >= {int(bb)} THEN {b.text('B')}")
    return f"(CASE {' '.join(parts)} ELSE {b.text('C')} END)"


def _money(postgres: bool, cents: str) -> str:
    """Cents as the stored decimal (exact numeric on PostgreSQL)."""
    return f"(CAST({cents} AS numeric) / 100)" if postgres else f"({cents} / 100.0)"


def _timestamp(postgres: bool, value: str) -> str:
    return f"CAST({lit(value)} AS timestamptz)" if postgres else lit(value)


def score_select(
    std: Standard, cut: Cutoffs, as_of: dt.date, computed_at: str, facts: str, postgres: bool
) -> tuple[str, list[str]]:
    """SELECT of every score column from the facts table `facts`, named as the score
    table's columns; returns (sql, column names). `computed_at` is the instant as the
    database stores it. The statement has no parameters."""
    b = Builder(postgres)
    r, f, m = rfm_sql(cut)
    fc, fc_exact = _four_class(b, std)
    # Level 1: per-rule results straight from the facts.
    level1 = {
        "vt": _value_tier(b, std),
        "r": r,
        "f": f,
        "m": m,
        "fc": fc,
        "fc_exact": fc_exact,
        "lead_raw": b.points(std.lead_rules),
        **_potential_points(b, std),
        "lc": _lifecycle(b, std),
        "py": _pyramid(b, std, cut),
        "abc": _abc(b, cut),
        **_health_components(b, std),
        "cpts": _credit_points(b, std),
    }
    health = _health(b, std, as_of)
    credit = _credit(b, std, postgres)
    pt = b.band("pot", std.potential_bands)
    final: list[tuple[str, str]] = [
        ("customer_id", "customer_id"),
        ("standard_version", str(int(std.version))),
        ("as_of", b.date(as_of)),
        ("computed_at", _timestamp(postgres, computed_at)),
        ("sales", _money(postgres, "sales")),
        ("profit", _money(postgres, fdiv("profit_x + 5000", "10000"))),
        (
            "margin",
            "(CASE WHEN margin_base = 0 THEN NULL ELSE "
            f"{_money(postgres, fdiv('2 * profit_x + margin_base', '2 * margin_base'))} END)",
        ),
        ("frequency", "n_days"),
        ("interactions_recent", "n_recent"),
        ("last_order_on", "last_on"),
        ("last_interaction_on", "last_int_on"),
        ("value_tier", "vt"),
        ("potential_score", "pot"),
        ("potential_tier", pt),
        ("matrix", f"(CASE WHEN vt = '' THEN '' ELSE vt || '_' || {pt} END)"),
        ("r", "r"),
        ("f", "f"),
        ("m", "m"),
        ("rfm_segment", _segment(b, std, "r", "f", "m")),
        ("four_class", "fc"),
        (
            "four_class_exact",
            f"(CASE WHEN fc_exact IS NULL THEN NULL ELSE {b.boolean('fc_exact = 1')} END)",
        ),
        *health.items(),
        ("lead_score", "lead"),
        ("lead_grade", b.band("lead", std.lead_grades)),
        ("lead_qualified", b.boolean(_ge("lead", std.lead_qualified_min))),
        ("lifecycle", "lc"),
        *credit.items(),
        ("pyramid", "py"),
        ("abc", "abc"),
        ("reasons", "CAST('{}' AS jsonb)" if postgres else "'{}'"),
    ]
    inner = ", ".join(f"{expr} AS {name}" for name, expr in level1.items())
    outer = ", ".join(f"{expr} AS {name}" for name, expr in final)
    level2 = {
        "pot": _potential_score(std),
        "lead": "(CASE WHEN lead_raw < 0 THEN 0 ELSE lead_raw END)",
        "hs": _health_score(std),
    }
    middle = ", ".join(f"{expr} AS {name}" for name, expr in level2.items())
    # Each level is fenced (OFFSET 0) so the planner does not inline a level's
    # expressions into the next one, which would evaluate them several times per row.
    fence = "OFFSET 0" if postgres else "LIMIT -1 OFFSET 0"
    sql = (
        f"SELECT {outer} FROM (SELECT y.*, {middle} "  # noqa: S608
        f"FROM (SELECT x.*, {inner} FROM {facts} x {fence}) y {fence}) z"
    )
    return sql, [name for name, _expr in final]
