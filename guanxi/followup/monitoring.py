"""Manager monitoring (seed 004 "三表一卡" and the stock table), set-based.

Every figure is computed per rep by a handful of grouped queries over the customers
the viewer may see (`Customer.objects.visible_to`), never by a loop over reps or
customers. Definitions: docs/followup.md, "Manager monitoring and activity report".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from guanxi.accounts.models import Role, Team, User
from guanxi.accounts.visibility import reachable_owner_ids_q
from guanxi.customers.models import Customer, Interaction
from guanxi.lib.workdays import WorkCalendar

from .models import CallListLine, FollowUp, PlanTarget, StockTarget

# Columns of the stock table, in the seed's order of progress (0 first: new).
STOCK_CLASSES = ("0", "1", "2", "3k", "3o", "4k", "4o", "5", "6", "7")
# Target keys that are not one class: all 4s together, the whole book.
GROUP_KEYS = {"4": ("4k", "4o"), "total": STOCK_CLASSES}
CLASS_3 = ("3k", "3o")
PLAN_DAYS = 5  # next week: the next five working days


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the site's time zone (index-friendly range bounds)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- who is monitored -------------------------------------------------------------


def monitored_reps(
    viewer: User, *, team: Team | None = None, rep: User | None = None
) -> QuerySet[User]:
    """Users in the viewer's reach who carry a book: active reps, plus anyone in reach
    owning alive customers (a manager who also sells; a rep who left and whose book
    still waits to be reassigned). A rep gets only themself."""
    owns = Customer.objects.alive().filter(owner=OuterRef("pk"))
    qs = User.objects.filter(reachable_owner_ids_q(viewer)).filter(
        Q(role=Role.REP, is_active=True) | Q(Exists(owns))
    )
    if not (viewer.is_manager or viewer.sees_everything):
        qs = qs.filter(pk=viewer.pk)
    if team is not None:
        qs = qs.filter(team=team)
    if rep is not None:
        qs = qs.filter(pk=rep.pk)
    return qs.select_related("team").order_by("team__name", "username")


def book(viewer: User, rep_ids: list[int]) -> QuerySet[Customer]:
    """The customers owned by the monitored reps, as far as the viewer may see them."""
    return Customer.objects.visible_to(viewer).filter(owner_id__in=rep_ids)


# --- targets ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    key: str
    minimum: int | None
    maximum: int | None

    def status(self, count: int) -> str:
        """ "low", "high" or "ok" against [minimum, maximum] (blank bound = open)."""
        if self.minimum is not None and count < self.minimum:
            return "low"
        if self.maximum is not None and count > self.maximum:
            return "high"
        return "ok"

    @property
    def text(self) -> str:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return str(low) if low == high else f"{low}–{high}"
        if low is not None:
            return f"≥ {low}"
        if high is not None:
            return f"≤ {high}"
        return "—"


def stock_targets() -> dict[str, Target]:
    return {
        t.key: Target(t.key, t.minimum, t.maximum)
        for t in StockTarget.objects.all().only("key", "minimum", "maximum")
    }


def plan_targets() -> dict[int, int]:
    return dict(PlanTarget.objects.values_list("weekday", "calls"))


# --- the figures ------------------------------------------------------------------


def stock_counts(customers: QuerySet[Customer]) -> dict[int, dict[str, int]]:
    """{rep: {class: customers}}; an unclassified customer counts as class 0 (as in
    the follow-up engine). One GROUP BY owner, class."""
    rows = (
        customers.annotate(cls=Coalesce(F("maturity__value"), Value("0")))
        .values("owner_id", "cls")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for r in rows:
        out[r["owner_id"]][r["cls"]] = r["n"]
    return out


def _touched_between(start: dt.datetime, end: dt.datetime) -> Exists:
    return Exists(
        Interaction.objects.filter(
            customer=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end
        )
    )


def book_counts(customers: QuerySet[Customer], *, today: dt.date) -> dict[int, dict[str, int]]:
    """Per rep, one GROUP BY owner: total, covered this month (an interaction from the
    1st of the month up to now), overdue follow-ups (deadline < today), due today,
    and class-3 customers that are overdue."""
    month_start = day_start(today.replace(day=1))
    tomorrow = day_start(today + dt.timedelta(days=1))
    overdue = Q(followup__deadline__lt=today)
    rows = (
        customers.annotate(covered=_touched_between(month_start, tomorrow))
        .values("owner_id")
        .annotate(
            total=Count("id"),
            covered=Count("id", filter=Q(covered=True)),
            overdue=Count("id", filter=overdue),
            due=Count("id", filter=Q(followup__next_due__lte=today)),
            overdue_3=Count("id", filter=overdue & Q(maturity__value__in=CLASS_3)),
        )
        .order_by()
    )
    return {r.pop("owner_id"): r for r in rows}


def _done_on_list_day() -> Exists:
    """A line is done when its customer has an interaction dated on the list's day."""
    return Exists(
        Interaction.objects.filter(
            customer=OuterRef("customer_id"), occurred_at__date=OuterRef("list_date")
        )
    )


def call_lines(viewer: User, rep_ids: list[int]) -> QuerySet[CallListLine]:
    """The monitored reps' own lines (not those handed to the manager while on
    leave), for customers the viewer may see."""
    return CallListLine.objects.filter(
        rep_id__in=rep_ids,
        for_manager=False,
        customer__in=Customer.objects.visible_to(viewer),
    )


def calls_by_day(
    viewer: User, rep_ids: list[int], start: dt.date, end: dt.date
) -> dict[tuple[int, dt.date], dict[str, int]]:
    """{(rep, day): {planned, done, logged}} for days in [start, end]: call-list lines,
    lines done on the day, and interactions the rep logged that day (on or off the
    list). Two GROUP BY queries."""
    lines = (
        call_lines(viewer, rep_ids)
        .filter(list_date__gte=start, list_date__lte=end)
        .annotate(done=_done_on_list_day())
        .values("rep_id", "list_date")
        .annotate(planned=Count("id"), done=Count("id", filter=Q(done=True)))
        .order_by()
    )
    out: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(
        lambda: {"planned": 0, "done": 0, "logged": 0}
    )
    for r in lines:
        out[(r["rep_id"], r["list_date"])].update(planned=r["planned"], done=r["done"])
    logged = (
        Interaction.objects.filter(
            owner_id__in=rep_ids,
            customer__in=Customer.objects.visible_to(viewer),
            occurred_at__gte=day_start(start),
            occurred_at__lt=day_start(end + dt.timedelta(days=1)),
        )
        .annotate(day=TruncDate("occurred_at"))
        .values("owner_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in logged:
        out[(r["owner_id"], r["day"])]["logged"] = r["n"]
    return out


def _on_time() -> Exists:
    """Contacted within the follow-up's window [next_due, deadline] (local dates)."""
    return Exists(
        Interaction.objects.filter(
            customer=OuterRef("customer_id"),
            occurred_at__date__gte=OuterRef("next_due"),
            occurred_at__date__lte=OuterRef("deadline"),
        )
    )


def _windows(
    viewer: User, rep_ids: list[int], start: dt.date, last: dt.date
) -> tuple[QuerySet[CallListLine], QuerySet[FollowUp]]:
    """The follow-up windows whose deadline fell in [start, last], annotated `ok`
    (contacted in time): the last call-list line of each listed window, and the
    current FollowUp rows of windows never listed."""
    later = CallListLine.objects.filter(
        customer=OuterRef("customer_id"),
        next_due=OuterRef("next_due"),
        deadline=OuterRef("deadline"),
        list_date__gt=OuterRef("list_date"),
    )
    listed = (
        CallListLine.objects.filter(
            rep_id__in=rep_ids,
            customer__in=Customer.objects.visible_to(viewer),
            deadline__gte=start,
            deadline__lte=last,
        )
        .filter(~Exists(later))
        .annotate(ok=_on_time())
    )
    on_a_list = CallListLine.objects.filter(
        customer=OuterRef("customer_id"),
        next_due=OuterRef("next_due"),
        deadline=OuterRef("deadline"),
    )
    unlisted = (
        FollowUp.objects.filter(
            customer__in=book(viewer, rep_ids), deadline__gte=start, deadline__lte=last
        )
        .filter(~Exists(on_a_list))
        .annotate(ok=_on_time())
    )
    return listed, unlisted


def compliance(
    viewer: User, rep_ids: list[int], start: dt.date, last: dt.date
) -> dict[int, dict[str, int]]:
    """Cadence compliance: of the follow-ups whose deadline fell in [start, last]
    (`last` before today, so every one is decided), those contacted by the deadline.

    A follow-up is one (customer, next_due, deadline) window. They are found on the
    call lists (the recorded plan; the last line of a window names its rep) and, for
    windows never listed (beyond capacity), in the current FollowUp rows. Two
    GROUP BY queries. {rep: {due, on_time}}.
    """
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"due": 0, "on_time": 0})
    if last < start:
        return out
    listed, unlisted = _windows(viewer, rep_ids, start, last)
    counts = {"due": Count("id"), "on_time": Count("id", filter=Q(ok=True))}
    for owner, qs in (("rep_id", listed), ("customer__owner_id", unlisted)):
        for r in qs.values(owner).annotate(**counts).order_by():
            out[r[owner]]["due"] += r["due"]
            out[r[owner]]["on_time"] += r["on_time"]
    return out


def late_customers(
    viewer: User, rep_ids: list[int], start: dt.date, last: dt.date
) -> QuerySet[Customer]:
    """Customers behind the late follow-ups counted by `compliance`."""
    if last < start:
        return Customer.objects.none()
    listed, unlisted = _windows(viewer, rep_ids, start, last)
    return book(viewer, rep_ids).filter(
        Q(pk__in=listed.filter(ok=False).values("customer_id"))
        | Q(pk__in=unlisted.filter(ok=False).values("customer_id"))
    )


def recent_working_days(
    cal: WorkCalendar, today: dt.date, month_start: dt.date, n: int = PLAN_DAYS
) -> list[dt.date]:
    """The last n working days up to today (oldest first), within the month."""
    days, day = [], today
    while len(days) < n and day >= month_start:
        if cal.is_working_day(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def next_working_days(cal: WorkCalendar, today: dt.date, n: int = PLAN_DAYS) -> list[dt.date]:
    days, day = [], today
    for _ in range(n):
        day = cal.add_working_days(day, 1)
        days.append(day)
    return days


def plan_counts(
    customers: QuerySet[Customer], days: list[dt.date]
) -> dict[int, dict[dt.date, int]]:
    """{rep: {day: customers whose next follow-up falls due that day}}."""
    rows = (
        customers.filter(followup__next_due__in=days)
        .values("owner_id", "followup__next_due")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for r in rows:
        out[r["owner_id"]][r["followup__next_due"]] = r["n"]
    return out


# --- the report -------------------------------------------------------------------


@dataclass
class RepRow:
    rep: User | None  # None: the team totals row
    stock: dict[str, int]
    total: int
    covered: int
    overdue: int
    due: int
    overdue_3: int
    planned: int
    done: int
    logged: int
    cf_due: int
    cf_on_time: int
    plan: list[int]
    recent: list[tuple[int, int]]  # (planned, done) per recent working day
    stock_status: dict[str, str] = field(default_factory=dict)

    @property
    def class_3(self) -> int:
        return self.stock.get("3k", 0) + self.stock.get("3o", 0)

    @property
    def key_3_share(self) -> float | None:
        return pct(self.stock.get("3k", 0), self.class_3)

    @property
    def ordinary_3_share(self) -> float | None:
        return pct(self.stock.get("3o", 0), self.class_3)

    @property
    def coverage(self) -> float | None:
        return pct(self.covered, self.total)

    @property
    def compliance(self) -> float | None:
        return pct(self.cf_on_time, self.cf_due)

    @property
    def done_rate(self) -> float | None:
        return pct(self.done, self.planned)


@dataclass
class Monitoring:
    today: dt.date
    rows: list[RepRow]
    totals: RepRow
    targets: dict[str, Target]
    plan_days: list[dt.date]
    recent_days: list[dt.date]
    plan_targets: list[int | None]
    compliance_start: dt.date
    compliance_last: dt.date
    # per working day of the month so far: (day, planned, done, logged), all reps
    daily: list[tuple[dt.date, int, int, int]]


def _stock_status(stock: dict[str, int], total: int, targets: dict[str, Target]) -> dict:
    status = {}
    for key, target in targets.items():
        if key == "total":
            count = total
        else:
            count = sum(stock.get(c, 0) for c in GROUP_KEYS.get(key, (key,)))
        status[key] = target.status(count)
    return status


def monitoring_report(
    viewer: User, reps: list[User], *, today: dt.date, cal: WorkCalendar
) -> Monitoring:
    """Everything on the monitoring page, for `reps` (already within reach)."""
    rep_ids = [r.pk for r in reps]
    customers = book(viewer, rep_ids)
    targets = stock_targets()
    stock = stock_counts(customers)
    books = book_counts(customers, today=today)
    month_start = today.replace(day=1)
    calls = calls_by_day(viewer, rep_ids, month_start, today)
    cf_last = today - dt.timedelta(days=1)
    cf = compliance(viewer, rep_ids, month_start, cf_last)
    days = next_working_days(cal, today)
    recent = recent_working_days(cal, today, month_start)
    plans = plan_counts(customers, days)
    weekly = plan_targets()

    def row_for(rep: User) -> RepRow:
        b = books.get(rep.pk, {})
        c = calls.get((rep.pk, today), {})
        s = stock.get(rep.pk, {})
        total = b.get("total", 0)
        return RepRow(
            rep=rep,
            stock=s,
            total=total,
            covered=b.get("covered", 0),
            overdue=b.get("overdue", 0),
            due=b.get("due", 0),
            overdue_3=b.get("overdue_3", 0),
            planned=c.get("planned", 0),
            done=c.get("done", 0),
            logged=c.get("logged", 0),
            cf_due=cf[rep.pk]["due"] if rep.pk in cf else 0,
            cf_on_time=cf[rep.pk]["on_time"] if rep.pk in cf else 0,
            plan=[plans.get(rep.pk, {}).get(d, 0) for d in days],
            recent=[
                (calls[(rep.pk, d)]["planned"], calls[(rep.pk, d)]["done"])
                if (rep.pk, d) in calls
                else (0, 0)
                for d in recent
            ],
            stock_status=_stock_status(s, total, targets),
        )

    rows = [row_for(r) for r in reps]
    totals = RepRow(
        rep=None,
        stock={c: sum(r.stock.get(c, 0) for r in rows) for c in STOCK_CLASSES},
        total=sum(r.total for r in rows),
        covered=sum(r.covered for r in rows),
        overdue=sum(r.overdue for r in rows),
        due=sum(r.due for r in rows),
        overdue_3=sum(r.overdue_3 for r in rows),
        planned=sum(r.planned for r in rows),
        done=sum(r.done for r in rows),
        logged=sum(r.logged for r in rows),
        cf_due=sum(r.cf_due for r in rows),
        cf_on_time=sum(r.cf_on_time for r in rows),
        plan=[sum(r.plan[i] for r in rows) for i in range(len(days))],
        recent=[
            (sum(r.recent[i][0] for r in rows), sum(r.recent[i][1] for r in rows))
            for i in range(len(recent))
        ],
    )
    # team sums per day: working days, plus any other day with activity
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (_rep, day), c in calls.items():
        sums = per_day[day]
        sums[0], sums[1], sums[2] = (
            sums[0] + c["planned"],
            sums[1] + c["done"],
            sums[2] + c["logged"],
        )
    daily = []
    day = month_start
    while day <= today:
        if cal.is_working_day(day) or day in per_day:
            daily.append((day, *per_day.get(day, (0, 0, 0))))
        day += dt.timedelta(days=1)
    return Monitoring(
        today=today,
        rows=rows,
        totals=totals,
        targets=targets,
        plan_days=days,
        recent_days=recent,
        plan_targets=[weekly.get(d.weekday()) for d in days],
        compliance_start=month_start,
        compliance_last=cf_last,
        daily=daily,
    )


# --- drill-down -------------------------------------------------------------------

METRICS = (
    "all",
    "stock",
    "class_3",
    "covered",
    "uncovered",
    "overdue",
    "overdue_3",
    "due",
    "planned",
    "done",
    "not_done",
    "plan_day",
    "late",
)


def drill_customers(
    viewer: User,
    rep_ids: list[int],
    metric: str,
    *,
    today: dt.date,
    cls: str = "",
    day: dt.date | None = None,
) -> QuerySet[Customer]:
    """The visible customers behind one number of the monitoring page."""
    customers = book(viewer, rep_ids)
    if metric == "stock":
        keys = GROUP_KEYS.get(cls, (cls,))
        q = Q(maturity__value__in=keys)
        if "0" in keys:
            q |= Q(maturity__isnull=True)
        return customers.filter(q)
    if metric == "class_3":
        return customers.filter(maturity__value__in=CLASS_3)
    if metric in ("covered", "uncovered"):
        touched = _touched_between(
            day_start(today.replace(day=1)), day_start(today + dt.timedelta(days=1))
        )
        return customers.filter(touched if metric == "covered" else ~touched)
    if metric == "overdue":
        return customers.filter(followup__deadline__lt=today)
    if metric == "overdue_3":
        return customers.filter(followup__deadline__lt=today, maturity__value__in=CLASS_3)
    if metric == "due":
        return customers.filter(followup__next_due__lte=today)
    if metric in ("planned", "done", "not_done"):
        day = day or today
        lines = call_lines(viewer, rep_ids).filter(list_date=day).annotate(done=_done_on_list_day())
        if metric == "done":
            lines = lines.filter(done=True)
        elif metric == "not_done":
            lines = lines.filter(done=False)
        return customers.filter(pk__in=lines.values("customer_id"))
    if metric == "plan_day":
        return customers.filter(followup__next_due=day or today)
    if metric == "late":
        return late_customers(viewer, rep_ids, today.replace(day=1), today - dt.timedelta(days=1))
    return customers
