"""Writes of the follow-up app: cadence rules, working calendar, rep capacity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.accounts.models import User

from .cadence import AGE_BANDS, MATURITY_CODES, SEGMENTS, UNITS
from .choices import Touch
from .models import CadenceRule, RepCapacity, WorkCalendarDay

RULE_FIELDS = ("maturity", "segment", "age_band", "touch", "cycle_min", "cycle_max", "unit")


def can_edit_cadences(user: User) -> bool:
    return bool(user.is_authenticated and (user.sees_everything or user.is_manager))


def _check_editor(user: User) -> None:
    if not can_edit_cadences(user):
        raise PermissionDenied(_("Only managers, directors and administrators edit cadences."))


def validate_rule(data: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    """Reject unknown classes/segments/units, non-positive or inverted cycles and
    rules overlapping an active rule (same scope and touch)."""
    errors: dict[str, str] = {}
    if data.get("maturity", "") and data["maturity"] not in MATURITY_CODES:
        errors["maturity"] = _("Unknown maturity class: %(value)s.") % {"value": data["maturity"]}
    if data.get("segment", "") and data["segment"] not in SEGMENTS:
        errors["segment"] = _("Unknown segment: %(value)s.") % {"value": data["segment"]}
    if data.get("age_band", "") not in AGE_BANDS:
        errors["age_band"] = _("Unknown relationship age: %(value)s.") % {"value": data["age_band"]}
    if data.get("touch", "call") not in Touch.values:
        errors["touch"] = _("Unknown touch: %(value)s.") % {"value": data["touch"]}
    if data.get("unit", "workday") not in UNITS:
        errors["unit"] = _("Unknown cycle unit: %(value)s.") % {"value": data["unit"]}
    lo, hi = data.get("cycle_min"), data.get("cycle_max")
    if not isinstance(lo, int) or lo <= 0:
        errors["cycle_min"] = _("The cycle must be a positive whole number.")
    if not isinstance(hi, int) or hi <= 0:
        errors["cycle_max"] = _("The cycle must be a positive whole number.")
    elif isinstance(lo, int) and lo > 0 and hi < lo:
        errors["cycle_max"] = _("The cycle's upper bound is below its lower bound.")
    if errors:
        raise ValidationError(errors)
    if data.get("is_active", True):
        clash = CadenceRule.objects.filter(
            is_active=True,
            maturity=data.get("maturity", ""),
            segment=data.get("segment", ""),
            age_band=data.get("age_band", ""),
            touch=data.get("touch", "call"),
        ).exclude(pk=exclude_pk)
        if clash.exists():
            raise ValidationError(
                _("This rule overlaps active rule #%(id)s (same class, segment, age and touch).")
                % {"id": clash.values_list("pk", flat=True).first()}
            )


@transaction.atomic
def cadence_rule_create(*, user: User, data: dict[str, Any]) -> CadenceRule:
    _check_editor(user)
    data = {
        "maturity": "",
        "segment": "",
        "age_band": "",
        "touch": "call",
        "unit": "workday",
    } | data
    validate_rule(data)
    return CadenceRule.objects.create(updated_by=user, **data)


@transaction.atomic
def cadence_rule_update(*, user: User, rule: CadenceRule, data: dict[str, Any]) -> CadenceRule:
    _check_editor(user)
    rule = CadenceRule.objects.select_for_update().get(pk=rule.pk)
    merged = {f: getattr(rule, f) for f in (*RULE_FIELDS, "is_active", "note")} | data
    validate_rule(merged, exclude_pk=rule.pk)
    for key, value in merged.items():
        setattr(rule, key, value)
    rule.updated_by = user
    rule.save()
    return rule


@transaction.atomic
def cadence_rule_delete(*, user: User, rule: CadenceRule) -> None:
    _check_editor(user)
    rule.delete()


@transaction.atomic
def calendar_set_year(
    *, user: User, year: int, holidays: list[dt.date], makeup_days: list[dt.date]
) -> int:
    """Replace the holidays and make-up working days of `year`."""
    _check_editor(user)
    days = set(holidays) | set(makeup_days)
    if any(d.year != year for d in days):
        raise ValidationError(_("Every date must fall in %(year)s.") % {"year": year})
    if set(holidays) & set(makeup_days):
        raise ValidationError(_("A date cannot be both a holiday and a make-up working day."))
    WorkCalendarDay.objects.filter(day__year=year).delete()
    rows = [WorkCalendarDay(day=d, is_working=False) for d in sorted(holidays)]
    rows += [WorkCalendarDay(day=d, is_working=True) for d in sorted(makeup_days)]
    WorkCalendarDay.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def rep_capacity_set(
    *, user: User, rep: User, capacity: int, am_golden: int = 15, pm_golden: int = 25
) -> RepCapacity:
    """Set a rep's daily capacity (0 = on leave) and golden-hour split."""
    _check_editor(user)
    if min(capacity, am_golden, pm_golden) < 0:
        raise ValidationError(_("Capacities cannot be negative."))
    obj, _created = RepCapacity.objects.update_or_create(
        user=rep,
        defaults={"capacity": capacity, "am_golden": am_golden, "pm_golden": pm_golden},
    )
    return obj
