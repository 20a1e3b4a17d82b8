"""Section-by-section checks of a classification standard (see standards.py)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.customers import choices as customer_choices

from . import choices
from .facts_types import RULE_FIELDS, RULE_OPS

VALUE_TIERS = ("strategic", "core", "ordinary", "low")
POTENTIAL_DIMENSIONS = ("need_fit", "growth_space", "willingness")
HEALTH_WEIGHTS = ("sales", "repurchase", "satisfaction", "interaction")
RFM_METRICS = ("recency", "frequency", "monetary")
PAYMENT_METHODS = tuple(choices.PaymentMethod.values)


class _Errors:
    def __init__(self) -> None:
        self.items: list[ValidationError] = []

    def add(self, path: str, message, **params: Any) -> None:
        self.items.append(
            ValidationError(message, code="invalid_standard", params={"path": path, **params})
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(errors: _Errors, path: str, value: Any, *, positive: bool = False) -> bool:
    if not _is_number(value):
        errors.add(path, _("%(path)s: a number is required."))
        return False
    if value < 0:
        errors.add(path, _("%(path)s: must not be negative (got %(value)s)."), value=value)
        return False
    if positive and value == 0:
        errors.add(path, _("%(path)s: must be greater than zero."))
        return False
    return True


def _get(errors: _Errors, data: Any, path: str, key: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        errors.add(f"{path}.{key}", _("%(path)s: missing."))
        return None
    return data[key]


def _weights(errors: _Errors, path: str, weights: Any, keys: tuple[str, ...]) -> None:
    if not isinstance(weights, dict) or set(weights) != set(keys):
        errors.add(
            path, _("%(path)s: weights must be given for exactly %(keys)s."), keys=", ".join(keys)
        )
        return
    if all(_number(errors, f"{path}.{k}", weights[k]) for k in keys):
        total = sum(weights.values())
        if total != 100:
            errors.add(
                path, _("%(path)s: weights must sum to 100 (they sum to %(total)s)."), total=total
            )


def _bands(
    errors: _Errors,
    path: str,
    bands: Any,
    codes: tuple[str, ...] | None,
    key: str = "min",
    upper: float | None = None,
) -> None:
    """Descending bands: no two bands start at the same value (overlap), the lowest
    starts at 0 (nothing left without a band), every code present exactly once."""
    if not isinstance(bands, list) or not bands:
        errors.add(path, _("%(path)s: a list of bands is required."))
        return
    if codes is not None:
        given = [b.get("code") if isinstance(b, dict) else None for b in bands]
        if sorted(map(str, given)) != sorted(codes):
            errors.add(
                path,
                _("%(path)s: bands must be exactly %(codes)s, each once."),
                codes=", ".join(codes),
            )
            return
    mins = []
    for i, band in enumerate(bands):
        value = band.get(key) if isinstance(band, dict) else None
        if not _number(errors, f"{path}[{i}].{key}", value):
            return
        if upper is not None and value > upper:
            errors.add(f"{path}[{i}].{key}", _("%(path)s: must be at most %(max)s."), max=upper)
        mins.append(value)
    for a, b in zip(mins, mins[1:], strict=False):
        if b >= a:
            errors.add(
                path,
                _(
                    "%(path)s: bands overlap or are out of order (%(a)s then %(b)s); "
                    "list them from the highest threshold down."
                ),
                a=a,
                b=b,
            )
            return
    if mins[-1] != 0:
        errors.add(
            path,
            _(
                "%(path)s: the lowest band must start at 0, otherwise values "
                "below %(min)s have no band."
            ),
            min=mins[-1],
        )


def _rules(errors: _Errors, path: str, rules: Any, dimensions: tuple[str, ...] = ()) -> None:
    if not isinstance(rules, list):
        errors.add(path, _("%(path)s: a list of rules is required."))
        return
    for i, rule in enumerate(rules):
        p = f"{path}[{i}]"
        if not isinstance(rule, dict):
            errors.add(p, _("%(path)s: a rule must be an object."))
            continue
        field, op = rule.get("field"), rule.get("op")
        if field not in RULE_FIELDS:
            errors.add(
                p,
                _("%(path)s: unknown field %(field)s; allowed: %(allowed)s."),
                field=repr(field),
                allowed=", ".join(sorted(RULE_FIELDS)),
            )
            continue
        kind = RULE_FIELDS[field][0]
        if op not in RULE_OPS or kind not in RULE_OPS[op]:
            errors.add(
                p,
                _("%(path)s: condition %(op)s cannot be used on %(field)s."),
                op=repr(op),
                field=field,
            )
            continue
        points = rule.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or abs(points) > 100:
            errors.add(p, _("%(path)s: points must be a whole number from -100 to 100."))
        if dimensions and rule.get("dimension") not in dimensions:
            errors.add(
                p, _("%(path)s: dimension must be one of %(dims)s."), dims=", ".join(dimensions)
            )
        _rule_value(errors, p, field, kind, op, rule.get("value"))


def _rule_value(errors: _Errors, path: str, field: str, kind: str, op: str, value: Any) -> None:
    if op.startswith("is_"):
        return
    if op in ("in", "not_in"):
        ok = (
            isinstance(value, list)
            and value
            and all(isinstance(v, str) if kind == "str" else _is_number(v) for v in value)
        )
        values = value if ok else []
    else:
        ok = isinstance(value, str) if kind == "str" else _is_number(value)
        values = [value] if ok else []
    if not ok:
        errors.add(path, _("%(path)s: the value does not fit the condition."))
        return
    allowed = _CHOICES.get(field)
    unknown = [v for v in values if allowed is not None and v not in allowed]
    if unknown:
        errors.add(
            path,
            _("%(path)s: unknown value %(value)s for %(field)s."),
            value=", ".join(map(str, unknown)),
            field=field,
        )


_CHOICES: dict[str, set[str]] = {
    "industry": set(customer_choices.Industry.values),
    "size_band": set(customer_choices.SizeBand.values),
    "source": set(customer_choices.Source.values),
    "stage": set(customer_choices.Stage.values),
    "urgency": set(customer_choices.Level.values),
    "potential_class": set(customer_choices.PotentialClass.values),
    "contract_status": set(customer_choices.ContractStatus.values),
    "payment_method": set(choices.PaymentMethod.values),
}


def check_sections(errors: _Errors, config: dict[str, Any]) -> None:
    for name, check in CHECKS.items():
        section = _get(errors, config, "", name)
        if section is None:
            continue
        if not isinstance(section, dict):
            errors.add(name, _("%(path)s: must be an object."))
            continue
        check(errors, name, section)


def _ints(errors: _Errors, path: str, section: dict, keys: tuple[str, ...], **kw: Any) -> None:
    for key in keys:
        value = _get(errors, section, path, key)
        if value is None:
            continue
        if isinstance(value, float):
            errors.add(f"{path}.{key}", _("%(path)s: a whole number is required."))
        else:
            _number(errors, f"{path}.{key}", value, **kw)


def _windows(errors: _Errors, path: str, s: dict) -> None:
    _ints(errors, path, s, ("sales_days", "interaction_days"), positive=True)


def _value_tier(errors: _Errors, path: str, s: dict) -> None:
    if not isinstance(s.get("strategic_flag"), bool):
        errors.add(f"{path}.strategic_flag", _("%(path)s: true or false is required."))
    bands = _get(errors, s, path, "bands")
    if bands is None:
        return
    _bands(errors, f"{path}.bands", bands, VALUE_TIERS, key="min_sales")
    if not isinstance(bands, list) or not all(isinstance(b, dict) for b in bands) or not bands:
        return
    ordered = [b.get("code") for b in bands if isinstance(b, dict)]
    if ordered and ordered != list(VALUE_TIERS)[: len(ordered)]:
        errors.add(
            f"{path}.bands",
            _(
                "%(path)s: list the tiers as strategic, core, ordinary, "
                "low, from the highest sales threshold down."
            ),
        )
    for i, band in enumerate(bands):
        margin = band.get("min_margin_pct") if isinstance(band, dict) else None
        path_i = f"{path}.bands[{i}].min_margin_pct"
        if margin is not None and _number(errors, path_i, margin) and margin > 100:
            errors.add(
                f"{path}.bands[{i}].min_margin_pct",
                _("%(path)s: must be at most %(max)s."),
                max=100,
            )
    if isinstance(bands[-1], dict) and bands[-1].get("min_margin_pct") is not None:
        errors.add(
            f"{path}.bands",
            _(
                "%(path)s: the lowest tier cannot require a margin, "
                "otherwise some customers have no tier."
            ),
        )


def _potential(errors: _Errors, path: str, s: dict) -> None:
    _weights(errors, f"{path}.weights", s.get("weights"), POTENTIAL_DIMENSIONS)
    _rules(errors, f"{path}.rules", s.get("rules"), POTENTIAL_DIMENSIONS)
    _bands(errors, f"{path}.bands", s.get("bands"), ("high", "mid", "low"), upper=100)


def _rfm(errors: _Errors, path: str, s: dict) -> None:
    for metric in RFM_METRICS:
        p = f"{path}.{metric}"
        spec = _get(errors, s, path, metric)
        if spec is None:
            continue
        if not isinstance(spec, dict) or spec.get("method") not in ("quintile", "fixed"):
            errors.add(p, _("%(path)s: method must be quintile or fixed."))
            continue
        cuts = spec.get("cutoffs")
        if not isinstance(cuts, list) or len(cuts) != 4:
            errors.add(p, _("%(path)s: exactly four cut-offs are required (five scores)."))
            continue
        numbers = all(_number(errors, f"{p}.cutoffs[{i}]", c) for i, c in enumerate(cuts))
        if numbers and any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
            errors.add(p, _("%(path)s: cut-offs must rise strictly, or two scores would overlap."))
    high = s.get("high_min")
    if not isinstance(high, int) or isinstance(high, bool) or not 1 <= high <= 5:
        errors.add(f"{path}.high_min", _("%(path)s: a score from 1 to 5 is required."))


def _four_class(errors: _Errors, path: str, s: dict) -> None:
    mins = []
    for code in ("high_value", "potential", "stable"):
        spec = _get(errors, s, path, code)
        if not isinstance(spec, dict):
            return
        p = f"{path}.{code}"
        if not _number(errors, f"{p}.min_sales", spec.get("min_sales"), positive=True):
            return
        mins.append(spec["min_sales"])
        for key in ("max_recency_days", "min_tenure_days", "max_tenure_days"):
            if spec.get(key) is not None:
                _ints(errors, p, spec, (key,))
    if not (mins[0] > mins[1] > mins[2]):
        errors.add(
            path,
            _(
                "%(path)s: annual-sales bands overlap: high value must start above "
                "potential, and potential above stable."
            ),
        )
    _ints(errors, path, s, ("silent_days",), positive=True)


def _health(errors: _Errors, path: str, s: dict) -> None:
    _weights(errors, f"{path}.weights", s.get("weights"), HEALTH_WEIGHTS)
    for key in ("sales_reference", "interaction_target"):
        _number(errors, f"{path}.{key}", s.get(key), positive=True)
    for key in ("satisfaction_unknown", "problem_below"):
        if _number(errors, f"{path}.{key}", s.get(key)) and s[key] > 100:
            errors.add(f"{path}.{key}", _("%(path)s: must be at most %(max)s."), max=100)
    grades = s.get("grades")
    _bands(errors, f"{path}.grades", grades, ("healthy", "sub_healthy", "at_risk"), upper=100)
    for i, grade in enumerate(grades if isinstance(grades, list) else []):
        if isinstance(grade, dict):
            _ints(errors, f"{path}.grades[{i}]", grade, ("next_days",), positive=True)


def _lead(errors: _Errors, path: str, s: dict) -> None:
    _rules(errors, f"{path}.rules", s.get("rules"))
    _ints(errors, path, s, ("qualified_min",))
    _bands(errors, f"{path}.grades", s.get("grades"), ("high_potential", "ordinary", "nurture"))


def _lifecycle(errors: _Errors, path: str, s: dict) -> None:
    keys = ("churn_days", "dormant_days", "formation_days", "decline_pct", "decline_gap_days")
    _ints(errors, path, s, keys, positive=True)
    if _is_number(s.get("decline_pct")) and s["decline_pct"] > 100:
        errors.add(f"{path}.decline_pct", _("%(path)s: must be at most %(max)s."), max=100)


def _credit(errors: _Errors, path: str, s: dict) -> None:
    for key in ("monthly_payment", "plan_completion"):
        bands = s.get(key)
        _bands(errors, f"{path}.{key}", bands, None)
        for i, band in enumerate(bands if isinstance(bands, list) else []):
            if isinstance(band, dict):
                _ints(errors, f"{path}.{key}[{i}]", band, ("points",))
    methods = s.get("payment_method")
    if not isinstance(methods, dict) or not set(methods) <= set(PAYMENT_METHODS):
        errors.add(
            f"{path}.payment_method",
            _("%(path)s: points per payment method, for %(methods)s."),
            methods=", ".join(PAYMENT_METHODS),
        )
    else:
        _ints(errors, f"{path}.payment_method", methods, tuple(methods))
    _ints(errors, path, s, ("no_plan_points",))
    grades = s.get("grades")
    _bands(errors, f"{path}.grades", grades, ("A", "B", "C", "D", "E"))
    for i, grade in enumerate(grades if isinstance(grades, list) else []):
        if isinstance(grade, dict):
            _number(errors, f"{path}.grades[{i}].limit_months", grade.get("limit_months"))
            _ints(errors, f"{path}.grades[{i}]", grade, ("term_days",))


def _pyramid(errors: _Errors, path: str, s: dict) -> None:
    if s.get("metric") not in ("profit", "sales"):
        errors.add(f"{path}.metric", _("%(path)s: profit or sales."))
    shares = s.get("top_pct")
    keys = ("key", "major", "ordinary")
    if not isinstance(shares, dict) or set(shares) != set(keys):
        errors.add(f"{path}.top_pct", _("%(path)s: shares for key, major and ordinary."))
        return
    numbers = all(_number(errors, f"{path}.top_pct.{k}", shares[k], positive=True) for k in keys)
    if numbers and not shares["key"] < shares["major"] < shares["ordinary"] < 100:
        errors.add(
            f"{path}.top_pct",
            _("%(path)s: cumulative shares must rise: key < major < ordinary < 100."),
        )


def _abc(errors: _Errors, path: str, s: dict) -> None:
    a, b = s.get("a_pct"), s.get("b_pct")
    ok_a = _number(errors, f"{path}.a_pct", a, positive=True)
    if ok_a and _number(errors, f"{path}.b_pct", b, positive=True) and not a < b <= 100:
        errors.add(path, _("%(path)s: cumulative shares must rise: A < B <= 100."))


def _maturity(errors: _Errors, path: str, s: dict) -> None:
    _ints(errors, path, s, ("promise_days",))


CHECKS = {
    "windows": _windows,
    "value_tier": _value_tier,
    "potential": _potential,
    "rfm": _rfm,
    "four_class": _four_class,
    "health": _health,
    "lead": _lead,
    "lifecycle": _lifecycle,
    "credit": _credit,
    "pyramid": _pyramid,
    "abc": _abc,
    "maturity": _maturity,
}
