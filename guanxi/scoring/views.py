"""Scores on the customer 360° page ("Scores" tab) and the one-click maturity picker.

The standards pages are in `views_standards.py`, the classification list and the
migration matrix in `views_reports.py`.
"""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.accounts.models import User
from guanxi.customers.models import Customer
from guanxi.customers.selectors import customer_get

from . import choices, selectors, services
from .forms import MATURITY_SHORT, MaturityForm
from .models import CustomerScore, ScoreChange
from .standards import parse_standard

# Badge colour of each value: good / mid / bad (anything else is neutral).
TONES = {
    "value_tier": {"strategic": "good", "core": "good", "ordinary": "mid", "low": "bad"},
    "potential_tier": {"high": "good", "mid": "mid", "low": "bad"},
    "health_grade": {"healthy": "good", "sub_healthy": "mid", "at_risk": "bad"},
    "lead_grade": {"high_potential": "good", "ordinary": "mid", "nurture": "neutral"},
    "lifecycle": {
        "formation": "good",
        "stable": "good",
        "decline": "mid",
        "dormant": "bad",
        "churned": "bad",
    },
    "credit_rating": {"A": "good", "B": "good", "C": "mid", "D": "bad", "E": "bad"},
    "four_class": {"high_value": "good", "potential": "good", "stable": "mid", "low_value": "bad"},
    "pyramid": {"key": "good", "major": "good", "ordinary": "mid", "small": "neutral"},
    "abc": {"A": "good", "B": "mid", "C": "neutral"},
}
CARDS = [
    ("value_tier", gettext_lazy("Value tier"), "bi-gem"),
    ("potential_tier", gettext_lazy("Potential tier"), "bi-graph-up-arrow"),
    ("matrix", gettext_lazy("Value × potential"), "bi-grid-3x3"),
    ("rfm_segment", gettext_lazy("RFM"), "bi-bar-chart-steps"),
    ("four_class", gettext_lazy("Customer class"), "bi-diagram-2"),
    ("health_grade", gettext_lazy("Health"), "bi-heart-pulse"),
    ("lead_grade", gettext_lazy("Lead score"), "bi-funnel"),
    ("lifecycle", gettext_lazy("Lifecycle stage"), "bi-arrow-repeat"),
    ("credit_rating", gettext_lazy("Credit rating"), "bi-shield-check"),
    ("pyramid", gettext_lazy("Pyramid level"), "bi-triangle"),
    ("abc", gettext_lazy("ABC class"), "bi-sort-down"),
]
# The scores a rep needs at a glance, shown under the customer's name.
HEADLINE = ("matrix", "health_grade", "lifecycle", "rfm_segment", "credit_rating")


def cny(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return f"¥{Decimal(value):,.0f}"


def _facts(score: CustomerScore, key: str) -> list[tuple[str, str]]:
    """The numbers shown with one card."""
    day = "%Y-%m-%d"
    if key == "value_tier":
        margin = "—" if score.margin is None else f"{score.margin:.1f}%"
        return [
            (_("12-month sales"), cny(score.sales)),
            (_("Gross margin"), margin),
            (_("12-month gross profit"), cny(score.profit)),
        ]
    if key == "matrix" and score.matrix:
        return [
            (_("Value tier"), selectors.value_label("value_tier", score.value_tier)),
            (_("Potential tier"), selectors.value_label("potential_tier", score.potential_tier)),
        ]
    if key == "potential_tier":
        return [(_("Potential score"), f"{score.potential_score}/100")]
    if key == "rfm_segment" and score.r is not None:
        return [("R · F · M", f"{score.r} · {score.f} · {score.m}")]
    if key == "four_class" and score.four_class_exact is False:
        return [(_("Note"), _("Not all conditions of the class are met"))]
    if key == "health_grade" and score.health_score is not None:
        out = [(_("Health score"), f"{score.health_score}/100")]
        out.append((_("Main problem"), score.get_health_problem_display() or _("None")))
        out.append((_("Suggested action"), str(score.health_action)))
        if score.next_evaluation_on:
            out.append((_("Next evaluation"), score.next_evaluation_on.strftime(day)))
        return out
    if key == "lead_grade":
        if score.lead_qualified:
            shown = _("%(score)s (qualified)") % {"score": score.lead_score}
        else:
            shown = _("%(score)s (not qualified)") % {"score": score.lead_score}
        return [(_("Lead score"), shown)]
    if key == "lifecycle":
        last_order = score.last_order_on.strftime(day) if score.last_order_on else "—"
        last_touch = score.last_interaction_on.strftime(day) if score.last_interaction_on else "—"
        return [(_("Last order"), last_order), (_("Last interaction"), last_touch)]
    if key == "credit_rating" and score.credit_rating:
        return [
            (_("Credit limit"), cny(score.credit_limit)),
            (_("Payment term"), _("%(days)s days") % {"days": score.payment_term_days}),
        ]
    return []


def tone_of(dimension: str, code: str | None) -> str:
    """The colour (tone-… class) of one value of a dimension; a matrix label takes the
    tone of its value tier (the part before the first underscore)."""
    if not code:
        return "none"
    if dimension == "matrix":
        dimension, code = "value_tier", code.split("_")[0]
    return TONES.get(dimension, {}).get(code, "neutral")


def score_cards(score: CustomerScore | None) -> list[dict[str, Any]]:
    if score is None:
        return []
    explanations = selectors.score_explanations(score=score)
    cards = []
    for key, title, icon in CARDS:
        code = getattr(score, key)
        cards.append(
            {
                "key": key,
                "title": title,
                "icon": icon,
                "code": code,
                "label": selectors.value_label(key, code) if code else _("Not assessed"),
                "tone": tone_of(key, code),
                "facts": _facts(score, key),
                "reasons": explanations.get(key, []),
            }
        )
    return cards


def health_trend(user: User, customer: Customer, score: CustomerScore | None) -> dict[str, Any]:
    """Health score over time: the score after each health-grade change (kept in the
    change's reasons) and the current score. Grade bands from the active standard."""
    points: dict[str, int] = {}
    rows = (
        ScoreChange.objects.filter(
            customer__in=Customer.objects.visible_to(user),
            customer_id=customer.pk,
            dimension="health_grade",
        )
        .order_by("changed_at", "id")
        .values_list("as_of", "reason")
    )
    for as_of, reason in rows:
        for item in (reason or {}).get("after", []):
            code, params = item[0], item[1] if len(item) > 1 else {}
            if code == "hs_total" and isinstance(params.get("score"), int):
                points[as_of.isoformat()] = params["score"]
    if score is not None and score.health_score is not None:
        points[score.as_of.isoformat()] = score.health_score
    bands = []
    active = selectors.standard_active()
    if active is not None:
        grades = sorted(parse_standard(active).health_grades, key=lambda b: b.min)
        tops = [int(b.min) for b in grades[1:]] + [100]
        for band, top in zip(grades, tops, strict=True):
            bands.append([int(band.min), top, selectors.value_label("health_grade", band.code)])
    return {
        "name": _("Health score"),
        "points": sorted(points.items()),
        "bands": bands,
    }


def maturity_options(current: str) -> list[dict[str, Any]]:
    return [
        {
            "value": value,
            "short": MATURITY_SHORT.get(value, value),
            "title": label,
            "current": value == current,
            "key": value.endswith("k"),
        }
        for value, label in choices.Maturity.choices
    ]


def customer_scores_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    """Extra context of the customer page for the "Scores" tab (under one key)."""
    user = request.user
    score = selectors.score_get(user=user, customer_id=customer.pk)
    maturity = selectors.maturity_get(user=user, customer_id=customer.pk)
    cards = score_cards(score)
    by_key = {card["key"]: card for card in cards}
    return {
        "scoring": {
            "score": score,
            "cards": cards,
            "headline": [by_key[key] for key in HEADLINE if by_key.get(key, {}).get("code")],
            "maturity": maturity,
            "maturity_options": maturity_options(maturity.value if maturity else ""),
            "maturity_form": MaturityForm(),
            "history": selectors.score_history(user=user, customer_id=customer.pk),
            "trend": health_trend(user, customer, score),
        }
    }


@login_required
@require_POST
def maturity_set(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on the picker: set the maturity class (0–7, key/ordinary 3 and 4)."""
    customer = customer_get(request.user, pk)
    form = MaturityForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            state = services.maturity_set(
                user=request.user,
                customer=customer,
                value=data["value"],
                reason=data["reason"],
                # a promise only means something for class 1 (payment pending)
                promised_payment_on=data["promised_payment_on"] if data["value"] == "1" else None,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Maturity class set to “%(label)s”.") % {"label": state.get_value_display()},
            )
    else:
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        text = _("The maturity class was not changed: %(errors)s") % {"errors": errors}
        messages.error(request, text)
    return redirect(reverse("customers:detail", kwargs={"pk": customer.pk}) + "#scores")
