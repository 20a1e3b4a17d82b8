"""Reads of the follow-up pages (call list, calling mode, settings pages).

Every customer-bearing read applies the one visibility rule: call-list lines are
filtered with `customer_visibility_q(user, "customer")` (the same Q as
`Customer.objects.visible_to`, joined instead of an `IN (subquery)` so a director's
page stays an index scan of 60 lines on a 1M-customer table), contacts,
interactions and needs come from the customers app's `visible_*` selectors.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from guanxi.accounts.models import Role, User
from guanxi.accounts.visibility import customer_visibility_q, reachable_owner_ids_q
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.models import Customer, Interaction
from guanxi.scoring.choices import Matrix, Maturity
from guanxi.scoring.models import CustomerScore

from .calllist import due_counts
from .choices import Slot
from .models import (
    CadenceRule,
    CallList,
    CallListLine,
    CallListRun,
    FollowUp,
    RepCapacity,
    WorkCalendarDay,
)
from .presenters import reason_text
from .selectors import work_calendar

LAST_INTERACTIONS = 5
# A rep on leave hands every due customer to the manager (hundreds): the pages show
# the first ones in rank order, never the whole backlog.
LINES_LIMIT = 200
LEAVE_LINES_LIMIT = 60


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the site's time zone: a line is done when the customer
    has an interaction at or after it."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- reps ------------------------------------------------------------------------


def reachable_reps(user: User) -> QuerySet[User]:
    """Active users whose books `user` may see (themself, a manager's team, everyone
    for directors and admins)."""
    return User.objects.filter(reachable_owner_ids_q(user), is_active=True).order_by("username")


def rep_for(user: User, rep_id: str | int | None) -> User:
    """The rep whose list `user` asked for; 404 when out of reach (as a missing one)."""
    if rep_id in (None, ""):
        return user
    try:
        pk = int(rep_id)
    except (TypeError, ValueError):
        raise Http404 from None
    rep = reachable_reps(user).filter(pk=pk).first()
    if rep is None:
        raise Http404
    return rep


def capacity_reps(user: User) -> list[tuple[User, RepCapacity | None]]:
    """Sales reps in the caller's reach with their capacity row (None = defaults)."""
    reps = list(reachable_reps(user).filter(role=Role.REP).select_related("call_capacity"))
    return [(rep, getattr(rep, "call_capacity", None)) for rep in reps]


# --- call-list lines ---------------------------------------------------------------


@dataclass
class LineRow:
    """One call-list line as the pages show it; labels are computed here once, so
    the template's loop does no per-line include, URL reversing or plural lookup."""

    line: CallListLine
    customer: Customer
    url: str  # the customer page
    rank: int
    slot: str
    maturity: str  # current class ("" = never classified); the line keeps the build's
    maturity_label: str
    tier: str  # the customer's value × potential label ("" = not assessed)
    reason: str
    overdue_days: int
    overdue_label: str
    carried_days: int
    carried_label: str
    done: bool
    for_manager: bool


# What the pages read of a line: the customer's big text fields (notes, profile)
# stay in the table.
LINE_COLUMNS = (
    "list_date", "rep_id", "customer_id", "rank", "slot", "bucket", "reason", "maturity",
    "next_due", "deadline", "first_listed_on", "for_manager",
    "customer__id", "customer__name", "customer__number", "customer__phone",
    "customer__owner_id", "customer__maturity__value",
    "rep__id", "rep__username", "rep__display_name", "rep__first_name", "rep__last_name",
)  # fmt: skip

MATRIX_LABELS = dict(Matrix.choices)
MATURITY_LABELS = {
    "3k": gettext_lazy("Key 3"),
    "3o": gettext_lazy("Ordinary 3"),
    "4k": gettext_lazy("Key 4"),
    "4o": gettext_lazy("Ordinary 4"),
}


def maturity_label(code: str) -> str:
    """Short class label of the lists: "Key 3", "Ordinary 3", "Class 5"…"""
    if code in MATURITY_LABELS:
        return str(MATURITY_LABELS[code])
    return _("Class %(c)s") % {"c": code or "0"}


def _visible_lines(user: User, day: dt.date) -> QuerySet[CallListLine]:
    qs = CallListLine.objects.filter(list_date=day, customer__deleted_at__isnull=True)
    q = customer_visibility_q(user, "customer")
    if q is not None:
        qs = qs.filter(q)
    since = day_start(day)
    done = Interaction.objects.filter(customer=OuterRef("customer_id"), occurred_at__gte=since)
    return (
        qs.annotate(done=Exists(done), tier=F("customer__score__matrix"))
        .select_related("customer", "customer__maturity", "rep")
        .only(*LINE_COLUMNS)
    )


def _rows(lines: Iterable[CallListLine], day: dt.date) -> list[LineRow]:
    rows = []
    for line in lines:
        customer = line.customer
        current = getattr(customer, "maturity", None)
        maturity = current.value if current else (line.maturity or "")
        overdue = max((day - line.deadline).days, 0)
        carried = (day - line.first_listed_on).days
        rows.append(
            LineRow(
                line=line,
                customer=customer,
                url=reverse("customers:detail", args=[customer.pk]),
                rank=line.rank,
                slot=line.slot,
                maturity=maturity,
                maturity_label=maturity_label(maturity),
                tier=str(MATRIX_LABELS.get(line.tier, "")) if line.tier else "",
                reason=reason_text(line, day),
                overdue_days=overdue,
                overdue_label=ngettext("overdue %(n)s day", "overdue %(n)s days", overdue)
                % {"n": overdue},
                carried_days=carried,
                carried_label=ngettext("carried over %(n)s day", "carried over %(n)s days", carried)
                % {"n": carried},
                done=line.done,
                for_manager=line.for_manager,
            )
        )
    return rows


def rep_lines(*, user: User, rep: User, day: dt.date, limit: int = LINES_LIMIT) -> list[LineRow]:
    """`rep`'s list for `day` in rank order (first `limit` lines), as `user` may see
    it: one query, walking the (list_date, rep, rank) index.

    A rep never sees the lines kept for the manager while on leave; a manager or
    director opening the rep's list sees them."""
    qs = _visible_lines(user, day).filter(rep=rep)
    if rep.pk == user.pk:
        qs = qs.filter(for_manager=False)
    return _rows(qs.order_by("rank")[:limit], day)


def leave_lists(*, user: User, day: dt.date) -> list[CallList]:
    """The day's lists of reps on leave that `user`, a manager or director, covers."""
    if not (user.is_manager or user.sees_everything):
        return []
    lists = list(
        CallList.objects.filter(list_date=day, on_leave=True, rep__in=reachable_reps(user))
        .exclude(rep=user)
        .select_related("rep")
        .order_by("rep__username")
    )
    due = due_counts(day, [cl.rep_id for cl in lists]) if lists else {}
    for cl in lists:
        cl.due = due.get(cl.rep_id, 0)
    return lists


def leave_lines(
    *, user: User, day: dt.date, lists: list[CallList], limit: int | None = None
) -> list[LineRow]:
    """The first `limit` lines kept for the manager (`for_manager`) of the reps on
    leave in `lists`, through the visibility rule. One query per rep on leave (a
    handful), each walking the (list_date, rep, rank) index and stopping at the
    limit; a single `rep IN (…)` query sorts the whole backlog first."""
    limit = LEAVE_LINES_LIMIT if limit is None else limit
    rows: list[LineRow] = []
    for call_list in lists:
        if len(rows) >= limit:
            break
        qs = (
            _visible_lines(user, day)
            .filter(rep_id=call_list.rep_id, for_manager=True)
            .order_by("rank")
        )
        rows += _rows(qs[: limit - len(rows)], day)
    return rows


@dataclass
class SlotGroup:
    slot: str
    label: str
    rows: list[LineRow]
    done: int


def group_by_slot(rows: list[LineRow]) -> list[SlotGroup]:
    """Rows are in rank order, so slots come out golden morning, golden afternoon,
    off-peak."""
    labels = dict(Slot.choices)
    groups = []
    for slot, items in groupby(rows, key=lambda r: r.slot):
        items = list(items)
        groups.append(
            SlotGroup(slot, str(labels.get(slot, slot)), items, sum(r.done for r in items))
        )
    return groups


@dataclass
class ListHeader:
    built: bool  # a finished build exists for the day
    call_list: CallList | None


def list_header(*, rep: User, day: dt.date) -> ListHeader:
    built = CallListRun.objects.filter(list_date=day, status="done").exists()
    call_list = CallList.objects.filter(list_date=day, rep=rep).first() if built else None
    if call_list is not None:
        call_list.due = due_counts(day, [rep.pk]).get(rep.pk, 0)
    return ListHeader(built=built, call_list=call_list)


# --- calling mode ------------------------------------------------------------------


@dataclass
class Neighbours:
    current: LineRow
    index: int
    previous: LineRow | None
    next: LineRow | None
    next_undone: LineRow | None  # after the current one, wrapping round to the top


def neighbours(rows: list[LineRow], rank: int | None) -> Neighbours:
    """Where calling mode is on the list. No rank: the first undone line (or the
    first). A rank not on the list: 404."""
    if not rows:
        raise Http404
    if rank is None:
        index = next((i for i, r in enumerate(rows) if not r.done), 0)
    else:
        index = next((i for i, r in enumerate(rows) if r.rank == rank), None)
        if index is None:
            raise Http404
    after = rows[index + 1 :] + rows[:index]
    return Neighbours(
        current=rows[index],
        index=index,
        previous=rows[index - 1] if index > 0 else None,
        next=rows[index + 1] if index + 1 < len(rows) else None,
        next_undone=next((r for r in after if not r.done), None),
    )


@dataclass
class CustomerBrief:
    customer: Customer
    score: Any  # CustomerScore | None
    followup: FollowUp | None
    contacts: list
    interactions: list
    needs: list


def customer_brief(*, user: User, customer: Customer) -> CustomerBrief:
    """What calling mode shows of one customer the user may see (already checked
    by the line's visibility filter; the child reads are scoped again)."""
    return CustomerBrief(
        customer=customer,
        score=CustomerScore.objects.filter(customer=customer).first(),
        followup=FollowUp.objects.filter(customer=customer).first(),
        contacts=list(customer_selectors.visible_contacts(user).filter(customer=customer)),
        interactions=list(
            customer_selectors.visible_interactions(user).filter(customer=customer)[
                :LAST_INTERACTIONS
            ]
        ),
        needs=list(
            customer_selectors.visible_needs(user).filter(customer=customer).exclude(status="done")
        ),
    )


# --- settings pages ----------------------------------------------------------------


@dataclass
class RuleGroup:
    key: tuple[str, str, str]
    rules: list[CadenceRule]


def cadence_groups() -> list[RuleGroup]:
    """Rules grouped by scope: class scopes in class order, then segment scopes,
    then relationship-age scopes; active rules first within a group."""
    order = {v: i for i, v in enumerate(Maturity.values)}
    rules = CadenceRule.objects.select_related("updated_by").order_by("-is_active", "touch", "id")
    groups: dict[tuple[str, str, str], list[CadenceRule]] = {}
    for rule in rules:
        groups.setdefault((rule.maturity, rule.segment, rule.age_band), []).append(rule)

    def rank(key: tuple[str, str, str]) -> tuple:
        maturity, segment, age_band = key
        return (not maturity, order.get(maturity, 99), not segment, segment, age_band)

    return [RuleGroup(key, groups[key]) for key in sorted(groups, key=rank)]


@dataclass
class CalendarDay:
    day: dt.date | None  # None: padding before the 1st / after the last day
    working: bool = False
    weekend: bool = False
    holiday: bool = False
    makeup: bool = False
    today: bool = False


def year_grid(year: int) -> list[tuple[int, list[list[CalendarDay]]]]:
    """Twelve months of weeks (Monday first) with the calendar's exceptions marked."""
    cal = work_calendar()
    today = timezone.localdate()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for d in week:
                if d.month != month:
                    cells.append(CalendarDay(None))
                    continue
                weekend = d.weekday() in cal.weekend
                cells.append(
                    CalendarDay(
                        d,
                        working=cal.is_working_day(d),
                        weekend=weekend,
                        holiday=d in cal.holidays,
                        makeup=d in cal.makeup_days,
                        today=d == today,
                    )
                )
            weeks.append(cells)
        months.append((month, weeks))
    return months


def year_exceptions(year: int) -> tuple[list[dt.date], list[dt.date]]:
    """(holidays, make-up working days) of `year`."""
    rows = WorkCalendarDay.objects.filter(day__year=year).order_by("day")
    holidays = [r.day for r in rows if not r.is_working]
    makeup = [r.day for r in rows if r.is_working]
    return holidays, makeup
