"""Reads of the follow-up app. Every customer-bearing read goes through
`Customer.objects.visible_to`."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from guanxi.accounts.models import User
from guanxi.customers.models import Customer
from guanxi.lib.workdays import WorkCalendar

from .cadence import Rule
from .models import CadenceRule, CallListLine, FollowUp, WorkCalendarDay


def work_calendar() -> WorkCalendar:
    """The configured calendar: weekends plus the edited holidays and make-up days."""
    rows = list(WorkCalendarDay.objects.values_list("day", "is_working"))
    return WorkCalendar.build(
        holidays=[d for d, working in rows if not working],
        makeup_days=[d for d, working in rows if working],
    )


def active_rules() -> list[Rule]:
    return [
        Rule(
            id=r.pk,
            maturity=r.maturity,
            segment=r.segment,
            age_band=r.age_band,
            touch=r.touch,
            cycle_min=r.cycle_min,
            cycle_max=r.cycle_max,
            unit=r.unit,
        )
        for r in CadenceRule.objects.filter(is_active=True).order_by("id")
    ]


def visible_followups(*, user: User, overdue_on: dt.date | None = None) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(customer__in=Customer.objects.visible_to(user))
    if overdue_on is not None:
        qs = qs.filter(deadline__lt=overdue_on)
    return qs


def visible_call_lines(
    *, user: User, day: dt.date, rep: User | None = None
) -> QuerySet[CallListLine]:
    """Lines of `day` for customers `user` may see. A rep's own list excludes the
    lines flagged for the manager; those show to whoever else may see them."""
    qs = CallListLine.objects.filter(
        list_date=day, customer__in=Customer.objects.visible_to(user)
    ).exclude(rep=user, for_manager=True)
    if rep is not None:
        qs = qs.filter(rep=rep)
    return qs.select_related("customer", "rep").order_by("rep__username", "for_manager", "rank")
