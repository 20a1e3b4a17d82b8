"""The one source of truth for scores (pure Python, no Django import).

`score(facts, standard, cutoffs)` turns the facts of one customer (a frozen
dataclass built by SQL in bulk, or from raw rows by the reference computation)
plus a classification standard plus the population cut-offs (`population.py`)
into every score, each with its reasons. docs/scoring.md states each rule.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from fractions import Fraction

from .facts_types import Facts, rule_matches
from .results import (
    DIMENSIONS,
    HEALTH_COMPONENTS,
    PYRAMID_LEVELS,
    Cutoffs,
    Reason,
    Scores,
    cny,
    pct,
)
from .standard_types import Band, Standard

__all__ = ["DIMENSIONS", "Cutoffs", "Scores", "score"]


def _band(value: int | Fraction, bands: tuple[Band, ...]) -> Band:
    """First band (best first) whose minimum `value` reaches; else the lowest."""
    for band in bands:
        if value >= band.min:
            return band
    return bands[-1]


def _band_ratio(num: int, den: int, bands: tuple[Band, ...]) -> Band:
    """`_band` for the value num/den without building a fraction (den > 0)."""
    for band in bands:
        if num >= band.min * den:
            return band
    return bands[-1]


def _count_above(value: int, cutoffs: tuple[int, ...]) -> int:
    return sum(1 for c in cutoffs if value > c)


# --- the rules ----------------------------------------------------------------


def value_tier(f: Facts, std: Standard) -> tuple[str, list[Reason]]:
    if f.is_strategic and std.strategic_flag:
        return "strategic", [("vt_flag", {})]
    if not f.has_orders:
        return "", [("vt_no_orders", {})]
    margin = f.margin_pct
    skipped: list[Reason] = []
    higher: int | None = None
    for code, min_sales, min_margin in std.value_bands:
        if f.sales < min_sales:
            higher = min_sales
            continue
        note: list[Reason] = []
        if min_margin is not None:
            if margin is None:
                note = [("vt_margin_unknown", {})]
            elif f.profit_x * min_margin.denominator < min_margin.numerator * f.margin_base * 100:
                params = {"margin": pct(margin), "min": pct(min_margin), "tier": code}
                skipped.append(("vt_margin_low", params))
                continue
            else:
                note = [("vt_margin_ok", {"margin": pct(margin), "min": pct(min_margin)})]
        reasons = [("vt_band", {"sales": cny(f.sales), "min": cny(min_sales)}), *note]
        if higher is not None:
            reasons.append(("vt_below", {"sales": cny(f.sales), "min": cny(higher)}))
        return code, reasons + skipped
    code = std.value_bands[-1][0]  # unreachable with a validated standard
    return code, skipped


def potential(f: Facts, std: Standard) -> tuple[str, int, list[Reason]]:
    points = dict.fromkeys(std.potential_weights, 0)
    matched: list[Reason] = []
    for rule in std.potential_rules:
        if rule_matches(rule, f):
            points[rule.dimension] += rule.points
            matched.append(("pt_rule", {"label": rule.label, "points": rule.points}))
    total = 0
    reasons: list[Reason] = []
    for dim, weight in std.potential_weights.items():
        dim_score = max(0, min(100, points[dim]))
        total += weight * dim_score
        reasons.append(("pt_dimension", {"dimension": dim, "score": dim_score, "weight": weight}))
    score = (total + 50) // 100
    band = _band(score, std.potential_bands)
    reasons.append(("pt_total", {"score": score, "min": int(band.min)}))
    return band.code, score, reasons + matched


def rfm(
    f: Facts, std: Standard, cut: Cutoffs
) -> tuple[int | None, int | None, int | None, str, list[Reason]]:
    if not f.has_orders:
        return None, None, None, "", [("rfm_none", {})]
    days = f.recency_days or 0
    r = 5 - _count_above(days, cut.recency)
    fq = 1 + _count_above(f.order_days, cut.frequency)
    m = 1 + _count_above(f.sales, cut.monetary)
    high = std.rfm_high_min
    kind = {(True, True): "value", (True, False): "develop", (False, True): "retain"}
    segment = ("important_" if m >= high else "general_") + kind.get(
        (r >= high, fq >= high), "winback"
    )
    window = std.sales_days
    reasons: list[Reason] = [
        ("rfm_r", {"score": r, "days": days, "cutoffs": "/".join(map(str, cut.recency))}),
        (
            "rfm_f",
            {
                "score": fq,
                "value": f.order_days,
                "window": window,
                "cutoffs": "/".join(map(str, cut.frequency)),
            },
        ),
        (
            "rfm_m",
            {
                "score": m,
                "value": cny(f.sales),
                "window": window,
                "cutoffs": "/".join(cny(c) for c in cut.monetary),
            },
        ),
        ("rfm_segment", {"min": high}),
    ]
    return r, fq, m, segment, reasons


def _four_class_failures(f: Facts, std: Standard, code: str, upper: int | None) -> list[Reason]:
    spec = std.four_class[code]
    days, tenure = f.recency_days or 0, f.tenure_days or 0
    out: list[Reason] = []
    if f.sales < spec["min_sales"] or (upper is not None and f.sales >= upper):
        out.append(("fc_need_sales", {"sales": cny(f.sales)}))
    if spec["max_recency_days"] is not None and days > spec["max_recency_days"]:
        out.append(("fc_need_recency", {"days": days, "limit": spec["max_recency_days"]}))
    if spec["min_tenure_days"] is not None and tenure < spec["min_tenure_days"]:
        out.append(("fc_need_tenure_min", {"days": tenure, "limit": spec["min_tenure_days"]}))
    if spec["max_tenure_days"] is not None and tenure >= spec["max_tenure_days"]:
        out.append(("fc_need_tenure_max", {"days": tenure, "limit": spec["max_tenure_days"]}))
    return out


def four_class(f: Facts, std: Standard) -> tuple[str, bool | None, list[Reason]]:
    """Seed 003 classes; precedence high value > potential > stable > low value/silent,
    then the fallthrough: the class whose annual-sales band holds the customer."""
    if not f.has_orders:
        return "", None, [("fc_none", {})]
    days = f.recency_days or 0
    fact: Reason = (
        "fc_fact",
        {"sales": cny(f.sales), "days": days, "tenure": f.tenure_days or 0},
    )
    order = ("high_value", "potential", "stable")
    uppers: dict[str, int | None] = {"high_value": None}
    uppers["potential"] = std.four_class["high_value"]["min_sales"]
    uppers["stable"] = std.four_class["potential"]["min_sales"]
    failures = {code: _four_class_failures(f, std, code, uppers[code]) for code in order}
    for code in order:
        if not failures[code]:
            return code, True, [("fc_match", {}), fact]
    if days > std.silent_days:
        return "low_value", True, [("fc_silent", {"days": days, "limit": std.silent_days}), fact]
    stable_min = std.four_class["stable"]["min_sales"]
    if f.sales < stable_min:
        return (
            "low_value",
            True,
            [("fc_low", {"sales": cny(f.sales), "min": cny(stable_min)}), fact],
        )
    band = next(c for c in order if f.sales >= std.four_class[c]["min_sales"])
    return band, False, [("fc_band", {"sales": cny(f.sales)}), *failures[band], fact]


def next_evaluation(f: Facts, cycle: int) -> dt.date:
    """The first day after as_of on the customer's evaluation cycle: every `cycle`
    days counted from the day the customer was created. The date stays put until
    it arrives (unlike as_of + cycle, which would never come)."""
    age = max(0, (f.as_of - f.created_on).days)
    return f.as_of + dt.timedelta(days=cycle - age % cycle)


def health(f: Facts, std: Standard) -> tuple[int | None, str, str, dt.date | None, list[Reason]]:
    if not f.has_orders:
        return None, "", "", None, [("hs_none", {})]
    w = std.health_weights
    ref, target = std.health_sales_reference, std.health_interaction_target
    sat = f.satisfaction
    comp = {
        "sales": min(100, f.sales * 100 // ref),
        "repurchase": f.active_quarters * 25,
        "satisfaction": std.health_satisfaction_unknown if sat is None else sat * 20,
        "interaction": min(100, f.interactions_recent * 100 // target),
    }
    score = (sum(w[k] * comp[k] for k in HEALTH_COMPONENTS) + 50) // 100
    grade = _band(score, std.health_grades)
    problems = sorted(
        (k for k in HEALTH_COMPONENTS if comp[k] < std.health_problem_below),
        key=lambda k: (-w[k] * (100 - comp[k]), HEALTH_COMPONENTS.index(k)),
    )
    problem = f"low_{problems[0]}" if problems else ""
    next_on = next_evaluation(f, int(grade.extra["next_days"]))
    sat_reason: Reason = (
        ("hs_satisfaction_unknown", {"score": comp["satisfaction"]})
        if sat is None
        else ("hs_satisfaction", {"score": comp["satisfaction"], "rating": sat})
    )
    reasons: list[Reason] = [
        ("hs_sales", {"score": comp["sales"], "sales": cny(f.sales), "ref": cny(ref)}),
        ("hs_repurchase", {"score": comp["repurchase"], "quarters": f.active_quarters}),
        sat_reason,
        (
            "hs_interaction",
            {
                "score": comp["interaction"],
                "count": f.interactions_recent,
                "window": std.interaction_days,
                "target": target,
            },
        ),
        (
            "hs_total",
            {
                "score": score,
                "weights": "/".join(str(w[k]) for k in HEALTH_COMPONENTS),
                "min": int(grade.min),
            },
        ),
    ]
    return score, grade.code, problem, next_on, reasons


def lead(f: Facts, std: Standard) -> tuple[int, str, bool, list[Reason]]:
    points = 0
    reasons: list[Reason] = []
    for rule in std.lead_rules:
        if rule_matches(rule, f):
            points += rule.points
            reasons.append(("ls_rule", {"label": rule.label, "points": f"{rule.points:+d}"}))
    score = max(0, points)
    qualified = score >= std.lead_qualified_min
    reasons.append(("ls_total", {"score": score, "qualified": std.lead_qualified_min}))
    return score, _band(score, std.lead_grades).code, qualified, reasons


def lifecycle(f: Facts, std: Standard) -> tuple[str, list[Reason]]:
    cfg = std.lifecycle
    if f.stage == "lost":
        return "churned", [("lc_lost", {})]
    activity = max(d for d in (f.last_order_on, f.last_interaction_on, f.created_on) if d)
    idle = (f.as_of - activity).days
    if idle > cfg["churn_days"]:
        return "churned", [("lc_churned", {"days": idle, "limit": cfg["churn_days"]})]
    contact = max(d for d in (f.last_interaction_on, f.created_on) if d)
    silent = (f.as_of - contact).days
    if silent > cfg["dormant_days"]:
        return "dormant", [("lc_dormant", {"days": silent, "limit": cfg["dormant_days"]})]
    if not f.has_orders:
        return "exploration", [("lc_exploration", {})]
    tenure, gap = f.tenure_days or 0, f.recency_days or 0
    if tenure < cfg["formation_days"]:
        return "formation", [("lc_formation", {"days": tenure, "limit": cfg["formation_days"]})]
    if gap > cfg["decline_gap_days"]:
        return "decline", [("lc_decline_gap", {"days": gap, "limit": cfg["decline_gap_days"]})]
    if f.sales_previous > 0 and f.sales_recent * 100 < f.sales_previous * cfg["decline_pct"]:
        params = {
            "recent": cny(f.sales_recent),
            "previous": cny(f.sales_previous),
            "pct": cfg["decline_pct"],
        }
        return "decline", [("lc_decline_drop", params)]
    return "stable", [("lc_stable", {"days": tenure})]


def credit(f: Facts, std: Standard) -> tuple[str, int, int, list[Reason]]:
    # average monthly payment = sales / (W * 12 / 365) = (sales * 365) / (W * 12)
    num, den = f.sales * 365, std.sales_days * 12
    monthly = Fraction(num, den)
    monthly_points = int(_band_ratio(num, den, std.credit_monthly).extra["points"])
    method_points = std.credit_methods.get(f.payment_method, 0)
    reasons: list[Reason] = [
        ("cr_monthly", {"value": cny(monthly), "points": monthly_points}),
        ("cr_method", {"method": f.payment_method, "points": method_points}),
    ]
    if f.monthly_plan:
        plan_num, plan_den = num * 100, f.monthly_plan * den  # % of the plan
        completion = Fraction(plan_num, plan_den)
        plan_points = int(_band_ratio(plan_num, plan_den, std.credit_plan).extra["points"])
        reasons.append(("cr_plan", {"pct": pct(completion), "points": plan_points}))
    else:
        plan_points = std.credit_no_plan_points
        reasons.append(("cr_no_plan", {"points": plan_points}))
    points = monthly_points + method_points + plan_points
    grade = _band(points, std.credit_grades)
    limit_cents = int(monthly * Fraction(str(grade.extra["limit_months"])))
    limit = limit_cents // 100 * 100  # whole yuan, rounded down
    term = int(grade.extra["term_days"])
    reasons.append(
        ("cr_total", {"points": points, "rating": grade.code, "limit": cny(limit), "term": term})
    )
    return grade.code, limit, term, reasons


def pyramid_value(f: Facts, std: Standard) -> int:
    """The ranking value: profit_x (profit in 1/10000 cent) or sales in cents."""
    return f.profit_x if std.pyramid_metric == "profit" else f.sales


def pyramid(f: Facts, std: Standard, cut: Cutoffs) -> tuple[str, list[Reason]]:
    if not f.has_orders:
        return "", [("py_none", {})]
    value = pyramid_value(f, std)
    level = "small"
    for code, minimum in zip(PYRAMID_LEVELS, cut.pyramid, strict=True):
        if minimum is not None and value > 0 and value >= minimum:
            level = code
            break
    scale = 10000 if std.pyramid_metric == "profit" else 1

    def show(v: int | None) -> str:  # profit_x / 10000 = cents, rounded half up
        return "-" if v is None else cny((2 * v + scale) // (2 * scale))

    params = {
        "metric": std.pyramid_metric,
        "value": show(value),
        "cutoffs": "/".join(show(c) for c in cut.pyramid),
    }
    return level, [("py_level", params)]


def abc(f: Facts, cut: Cutoffs) -> tuple[str, list[Reason]]:
    if not f.has_orders:
        return "", [("py_none", {})]
    a, b = cut.abc
    level = "C"
    if f.sales > 0 and a is not None and f.sales >= a:
        level = "A"
    elif f.sales > 0 and b is not None and f.sales >= b:
        level = "B"

    def show(v: int | None) -> str:
        return "-" if v is None else cny(v)

    return level, [("abc_level", {"value": cny(f.sales), "a": show(a), "b": show(b)})]


def maturity_auto(f: Facts) -> tuple[str, Reason] | None:
    """Where the data decides the maturity class: unclassified -> 0; a promised
    payment date passed without an order since the promise -> 6 (broke a promise)."""
    if f.maturity is None:
        return "0", ("mt_new", {})
    promised = f.promised_payment_on
    if (
        promised is not None
        and promised < f.as_of
        and not f.paid_since_promise
        and f.maturity != "6"
    ):
        return "6", ("mt_broken", {"date": promised.isoformat()})
    return None


# The reasons of each dimension, alone (what `score` puts under that key).
_REASONS: dict[str, Callable[[Facts, Standard, Cutoffs], list[Reason]]] = {
    "value_tier": lambda f, std, cut: value_tier(f, std)[1],
    "potential_tier": lambda f, std, cut: potential(f, std)[2],
    "rfm_segment": lambda f, std, cut: rfm(f, std, cut)[4],
    "four_class": lambda f, std, cut: four_class(f, std)[2],
    "health_grade": lambda f, std, cut: health(f, std)[4],
    "lead_grade": lambda f, std, cut: lead(f, std)[3],
    "lifecycle": lambda f, std, cut: lifecycle(f, std)[1],
    "credit_rating": lambda f, std, cut: credit(f, std)[3],
    "pyramid": lambda f, std, cut: pyramid(f, std, cut)[1],
    "abc": lambda f, std, cut: abc(f, cut)[1],
}


def explain(f: Facts, std: Standard, cut: Cutoffs, keys: Iterable[str]) -> dict[str, list[Reason]]:
    """`score(f, std, cut).reasons` restricted to `keys`, computing only those (the
    history of a set-based run needs the reasons of the dimensions that moved)."""
    return {key: _REASONS[key](f, std, cut) for key in keys}


def score(f: Facts, std: Standard, cut: Cutoffs) -> Scores:
    vt, vt_r = value_tier(f, std)
    pt, pt_score, pt_r = potential(f, std)
    r, fq, m, segment, rfm_r = rfm(f, std, cut)
    fc, fc_exact, fc_r = four_class(f, std)
    hs, hg, hp, next_on, hs_r = health(f, std)
    ls, lg, lq, ls_r = lead(f, std)
    lc, lc_r = lifecycle(f, std)
    cr, limit, term, cr_r = credit(f, std)
    py, py_r = pyramid(f, std, cut)
    ab, ab_r = abc(f, cut)
    margin = f.margin_pct
    return Scores(
        customer_id=f.customer_id,
        standard_version=std.version,
        as_of=f.as_of,
        sales=f.sales,
        profit=(f.profit_x + 5000) // 10000,
        margin_hundredths=None if margin is None else int((margin * 200 + 1) // 2),
        frequency=f.order_days,
        interactions_recent=f.interactions_recent,
        last_order_on=f.last_order_on,
        last_interaction_on=f.last_interaction_on,
        value_tier=vt,
        potential_score=pt_score,
        potential_tier=pt,
        matrix=f"{vt}_{pt}" if vt else "",
        r=r,
        f=fq,
        m=m,
        rfm_segment=segment,
        four_class=fc,
        four_class_exact=fc_exact,
        health_score=hs,
        health_grade=hg,
        health_problem=hp,
        next_evaluation_on=next_on,
        lead_score=ls,
        lead_grade=lg,
        lead_qualified=lq,
        lifecycle=lc,
        credit_rating=cr,
        credit_limit=limit,
        payment_term_days=term,
        pyramid=py,
        abc=ab,
        reasons={
            "value_tier": vt_r,
            "potential_tier": pt_r,
            "rfm_segment": rfm_r,
            "four_class": fc_r,
            "health_grade": hs_r,
            "lead_grade": ls_r,
            "lifecycle": lc_r,
            "credit_rating": cr_r,
            "pyramid": py_r,
            "abc": ab_r,
        },
    )
