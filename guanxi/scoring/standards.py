"""Classification standards (分类标准): the seed defaults and their validation.

A standard is a JSON document; every number of the classification lives here,
so reviewing the standard every half year means editing data, not code.
`validate_config` rejects a document with overlapping or missing bands, weights
that do not sum to 100, unknown fields in points rules or negative thresholds,
with a translatable message naming the offending path.
"""

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .standard_types import Standard
from .standards_checks import _Errors, check_sections

DEFAULT_CONFIG: dict[str, Any] = {
    # Sales window = "12-month sales"/"annual spend"; interaction window for frequency.
    "windows": {"sales_days": 365, "interaction_days": 90},
    # seed 000 step 2: 12-month sales, gross margin, strategic significance.
    "value_tier": {
        "strategic_flag": True,
        "bands": [
            {"code": "strategic", "min_sales": 1000000, "min_margin_pct": 20},
            {"code": "core", "min_sales": 100000, "min_margin_pct": 10},
            {"code": "ordinary", "min_sales": 20000, "min_margin_pct": None},
            {"code": "low", "min_sales": 0, "min_margin_pct": None},
        ],
    },
    # seed 000 step 2: need fit, growth space, willingness (response, decision efficiency).
    "potential": {
        "weights": {"need_fit": 40, "growth_space": 30, "willingness": 30},
        "rules": [
            {
                "dimension": "need_fit",
                "field": "potential_class",
                "op": "eq",
                "value": "A",
                "points": 60,
                "label": gettext_noop("potential class A"),
            },
            {
                "dimension": "need_fit",
                "field": "potential_class",
                "op": "eq",
                "value": "B",
                "points": 35,
                "label": gettext_noop("potential class B"),
            },
            {
                "dimension": "need_fit",
                "field": "needs_matched",
                "op": "gte",
                "value": 1,
                "points": 40,
                "label": gettext_noop("a need has a matched solution"),
            },
            {
                "dimension": "growth_space",
                "field": "size_band",
                "op": "in",
                "value": ["500-1999", "2000+"],
                "points": 40,
                "label": gettext_noop("large company (500+ employees)"),
            },
            {
                "dimension": "growth_space",
                "field": "sales_growing",
                "op": "is_true",
                "points": 40,
                "label": gettext_noop("sales growing half-year on half-year"),
            },
            {
                "dimension": "growth_space",
                "field": "budget_known",
                "op": "is_true",
                "points": 20,
                "label": gettext_noop("budget known"),
            },
            {
                "dimension": "willingness",
                "field": "interactions_recent",
                "op": "gte",
                "value": 3,
                "points": 40,
                "label": gettext_noop("responsive: 3+ recent interactions"),
            },
            {
                "dimension": "willingness",
                "field": "decision_maker_known",
                "op": "is_true",
                "points": 30,
                "label": gettext_noop("decision maker known"),
            },
            {
                "dimension": "willingness",
                "field": "urgency",
                "op": "eq",
                "value": "high",
                "points": 30,
                "label": gettext_noop("urgent need"),
            },
        ],
        "bands": [
            {"code": "high", "min": 60},
            {"code": "mid", "min": 30},
            {"code": "low", "min": 0},
        ],
    },
    # seed 003 template 1; fixed cut-offs apply when a metric's method is "fixed".
    "rfm": {
        "recency": {"method": "quintile", "cutoffs": [30, 60, 90, 180]},
        "frequency": {"method": "quintile", "cutoffs": [1, 2, 3, 5]},
        "monetary": {"method": "quintile", "cutoffs": [20000, 50000, 100000, 200000]},
        "high_min": 3,
    },
    # seed 003 step 3: four classes with thresholds.
    "four_class": {
        "high_value": {"min_sales": 100000, "max_recency_days": 90, "min_tenure_days": 365},
        "potential": {"min_sales": 50000, "max_recency_days": 180, "max_tenure_days": 365},
        "stable": {"min_sales": 20000, "max_recency_days": 30},
        "silent_days": 180,
    },
    # seed 000 table 4.
    "health": {
        "weights": {"sales": 30, "repurchase": 25, "satisfaction": 25, "interaction": 20},
        "sales_reference": 100000,
        "interaction_target": 6,
        "satisfaction_unknown": 60,
        "problem_below": 60,
        "grades": [
            {"code": "healthy", "min": 85, "next_days": 90},
            {"code": "sub_healthy", "min": 60, "next_days": 30},
            {"code": "at_risk", "min": 0, "next_days": 14},
        ],
    },
    # seed 002 step 1.
    "lead": {
        "rules": [
            {
                "field": "industry",
                "op": "in",
                "value": ["manufacturing"],
                "points": 3,
                "label": gettext_noop("industry match"),
            },
            {
                "field": "budget_known",
                "op": "is_true",
                "points": 2,
                "label": gettext_noop("budget known"),
            },
            {
                "field": "decision_maker_known",
                "op": "is_true",
                "points": 2,
                "label": gettext_noop("decision maker known"),
            },
        ],
        "qualified_min": 5,
        "grades": [
            {"code": "high_potential", "min": 7},
            {"code": "ordinary", "min": 5},
            {"code": "nurture", "min": 0},
        ],
    },
    # seed 004 lifecycle; dormant after 6 months without interaction (seed 001).
    "lifecycle": {
        "churn_days": 365,
        "dormant_days": 180,
        "formation_days": 365,
        "decline_pct": 50,
        "decline_gap_days": 180,
    },
    # seed 004 distributor slides: average monthly payment, payment method, plan completion.
    "credit": {
        "monthly_payment": [
            {"min": 100000, "points": 40},
            {"min": 50000, "points": 30},
            {"min": 20000, "points": 20},
            {"min": 5000, "points": 10},
            {"min": 0, "points": 0},
        ],
        "payment_method": {"bank_draft": 30, "wire": 30, "cash": 25, "acceptance_draft": 15},
        "plan_completion": [
            {"min": 100, "points": 30},
            {"min": 80, "points": 20},
            {"min": 60, "points": 10},
            {"min": 0, "points": 0},
        ],
        "no_plan_points": 15,
        "grades": [
            {"code": "A", "min": 85, "limit_months": 3, "term_days": 60},
            {"code": "B", "min": 70, "limit_months": 2, "term_days": 45},
            {"code": "C", "min": 55, "limit_months": 1, "term_days": 30},
            {"code": "D", "min": 40, "limit_months": 0.5, "term_days": 15},
            {"code": "E", "min": 0, "limit_months": 0, "term_days": 0},
        ],
    },
    # seed 004 pyramid: key top 1%, major next 4%, ordinary down to the bottom 50% (small).
    "pyramid": {"metric": "profit", "top_pct": {"key": 1, "major": 5, "ordinary": 50}},
    # seed 004 Pareto: A = 80% of sales, B = next 15%, C = last 5%.
    "abc": {"a_pct": 80, "b_pct": 95},
    # seed 004 / SPEC §6: class 1 pays within 2 days.
    "maturity": {"promise_days": 2},
}


def default_config() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_CONFIG)


def validate_config(config: Any) -> None:
    """Raise ValidationError listing every problem of `config`, or return None."""
    errors = _Errors()
    if not isinstance(config, dict):
        errors.add("", _("%(path)s: the standard must be a JSON object."))
    else:
        check_sections(errors, config)
    if errors.items:
        raise ValidationError(errors.items)


_PARSED: dict[tuple[int, int], Standard] = {}


def parse_standard(standard) -> Standard:
    """The rules' view of a stored ClassificationStandard (cached per row and version;
    an activated standard never changes, a draft edit saves a new row version)."""
    key = (standard.pk, standard.version)
    parsed = _PARSED.get(key)
    if parsed is None or parsed.config != standard.config:
        parsed = _PARSED[key] = Standard(standard.version, standard.config)
    return parsed
