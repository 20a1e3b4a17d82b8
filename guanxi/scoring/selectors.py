"""Reads of scores, history, maturity and standards. Customer-tied reads are scoped
through `Customer.objects.visible_to(user)`."""

from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from . import choices
from .models import ClassificationStandard, CustomerMaturity, CustomerScore, ScoreChange, ScoringRun
from .reasons import MESSAGES

_PARAM_LABELS: dict[str, Any] = {
    "tier": choices.ValueTier,
    "dimension": choices.PotentialDimension,
    "method": choices.PaymentMethod,
}
_METRICS = {"profit": _("gross profit"), "sales": _("sales")}


def _label(choice_cls, value: str) -> str:
    try:
        return str(choice_cls(value).label)
    except ValueError:
        return value


def render_reason(code: str, params: dict[str, Any]) -> str:
    """One stored reason in the reader's language."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key in _PARAM_LABELS and isinstance(value, str):
            shown[key] = _label(_PARAM_LABELS[key], value) if value else "-"
        elif key in ("label", "note") and isinstance(value, str):
            shown[key] = _gettext(value) if value else ""
        elif key == "metric":
            shown[key] = str(_METRICS.get(value, value))
        elif isinstance(value, int) and not isinstance(value, bool):
            shown[key] = f"{value:,}"
        else:
            shown[key] = value
    try:
        return _gettext(template) % shown
    except (KeyError, TypeError, ValueError):
        return _gettext(template)


def render_reasons(items: list[Any]) -> list[str]:
    return [render_reason(code, params) for code, params in items]


def value_label(dimension: str, value: str) -> str:
    if not value:
        return "-"
    choice_cls = choices.DIMENSION_CHOICES.get(dimension)
    return _label(choice_cls, value) if choice_cls else value


def visible_scores(*, user: User) -> QuerySet[CustomerScore]:
    """Scores of the customers `user` may see (API list, exports, reports)."""
    return CustomerScore.objects.filter(customer__in=Customer.objects.visible_to(user))


def score_get(*, user: User, customer_id: int) -> CustomerScore | None:
    return visible_scores(user=user).filter(customer_id=customer_id).first()


def score_explanations(*, score: CustomerScore) -> dict[str, list[str]]:
    """Per dimension, the reasons behind the current value, translated (derived on
    read when the full run stored none: explain.py)."""
    from .explain import reasons_of

    return {dim: render_reasons(items) for dim, items in reasons_of(score).items()}


def score_history(*, user: User, customer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """When, from, to and why, newest first (empty if the customer is not visible)."""
    if not Customer.objects.visible_to(user).filter(pk=customer_id).exists():
        return []
    rows = ScoreChange.objects.filter(customer_id=customer_id).select_related("changed_by")
    out = []
    for change in rows[:limit]:
        reason = change.reason or {}
        out.append(
            {
                "when": change.changed_at,
                "as_of": change.as_of,
                "dimension": change.dimension,
                "dimension_label": change.get_dimension_display(),
                "from": value_label(change.dimension, change.from_value),
                "to": value_label(change.dimension, change.to_value),
                "cause": change.get_cause_display(),
                "standard_version": change.standard_version,
                "who": change.changed_by,
                "before": render_reasons(reason.get("before", [])),
                "after": render_reasons(reason.get("after", [])),
            }
        )
    return out


def maturity_get(*, user: User, customer_id: int) -> CustomerMaturity | None:
    return (
        CustomerMaturity.objects.filter(customer__in=Customer.objects.visible_to(user))
        .filter(customer_id=customer_id)
        .select_related("set_by")
        .first()
    )


def tier_distribution(*, user: User, dimension: str) -> list[dict[str, Any]]:
    """Counts and shares per value of one dimension (classification list, dashboards)."""
    if dimension not in choices.DIMENSION_CHOICES or dimension == "maturity":
        raise ValueError(dimension)
    rows = visible_scores(user=user).values(dimension).annotate(n=Count("pk")).order_by(dimension)
    total = sum(r["n"] for r in rows) or 1
    return [
        {
            "value": r[dimension],
            "label": value_label(dimension, r[dimension]),
            "count": r["n"],
            "share": round(r["n"] * 100 / total, 1),
        }
        for r in rows
    ]


def standard_active() -> ClassificationStandard | None:
    return ClassificationStandard.objects.filter(is_active=True).first()


def standards_list() -> QuerySet[ClassificationStandard]:
    return ClassificationStandard.objects.all()


def standards_due_for_review(*, today) -> QuerySet[ClassificationStandard]:
    return ClassificationStandard.objects.filter(is_active=True, review_due_on__lte=today)


def last_run() -> ScoringRun | None:
    return ScoringRun.objects.order_by("-id").first()
