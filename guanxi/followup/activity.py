"""Daily activity report (销售活动日报) per rep and day, built from what was logged.

Everything reads through `Customer.objects.visible_to(viewer)`: a manager's report
of a rep never shows a customer the manager may not see. The team summary is a few
GROUP BY queries (one per source table), not a loop over reps.
Definitions: docs/followup.md, "Manager monitoring and activity report".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.customers.choices import Channel, ContentType
from guanxi.customers.export import BOM, safe_cell
from guanxi.customers.models import Customer, Interaction, Need, Order
from guanxi.scoring.choices import Maturity
from guanxi.scoring.models import ScoreChange

from .models import CallListLine
from .monitoring import day_start


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return day_start(day), day_start(day + dt.timedelta(days=1))


def interactions(viewer: User, rep_ids: list[int], day: dt.date) -> QuerySet[Interaction]:
    """Interactions the reps logged on `day` (local), on customers the viewer may see."""
    start, end = _bounds(day)
    return Interaction.objects.filter(
        owner_id__in=rep_ids,
        customer__in=Customer.objects.visible_to(viewer),
        occurred_at__gte=start,
        occurred_at__lt=end,
    )


def new_customers(viewer: User, rep_ids: list[int], day: dt.date) -> QuerySet[Customer]:
    start, end = _bounds(day)
    return Customer.objects.visible_to(viewer).filter(
        owner_id__in=rep_ids, created_at__gte=start, created_at__lt=end
    )


def orders(viewer: User, rep_ids: list[int], day: dt.date) -> QuerySet[Order]:
    """Orders dated `day` of the reps' customers."""
    return Order.objects.filter(
        customer__in=Customer.objects.visible_to(viewer).filter(owner_id__in=rep_ids),
        ordered_on=day,
    )


def needs_opened(viewer: User, rep_ids: list[int], day: dt.date) -> QuerySet[Need]:
    """Needs recorded on `day` with one of the reps responsible."""
    start, end = _bounds(day)
    return Need.objects.filter(
        owner_id__in=rep_ids,
        customer__in=Customer.objects.visible_to(viewer),
        created_at__gte=start,
        created_at__lt=end,
    )


def class_moves(viewer: User, rep_ids: list[int], day: dt.date) -> QuerySet[ScoreChange]:
    """Maturity-class changes on `day` of the reps' customers (the outcome of calls);
    a first classification (from nothing) is not a move."""
    start, end = _bounds(day)
    return ScoreChange.objects.exclude(from_value="").filter(
        dimension="maturity",
        customer__in=Customer.objects.visible_to(viewer).filter(owner_id__in=rep_ids),
        changed_at__gte=start,
        changed_at__lt=end,
    )


def planned_lines(viewer: User, rep_ids: list[int], day: dt.date) -> QuerySet[CallListLine]:
    """The reps' call-list lines of `day`, annotated `done` (customer contacted that day)."""
    start, end = _bounds(day)
    contacted = Interaction.objects.filter(
        customer=OuterRef("customer_id"), occurred_at__gte=start, occurred_at__lt=end
    )
    return CallListLine.objects.filter(
        rep_id__in=rep_ids,
        list_date=day,
        for_manager=False,
        customer__in=Customer.objects.visible_to(viewer),
    ).annotate(done=Exists(contacted))


@dataclass
class SummaryRow:
    rep: User | None  # None: the team total
    interactions: int = 0
    customers: int = 0
    with_next_action: int = 0
    with_feedback: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    new_customers: int = 0
    orders: int = 0
    order_amount: Decimal = Decimal("0")
    needs: int = 0
    class_moves: int = 0
    planned: int = 0
    done: int = 0

    @property
    def done_rate(self) -> float | None:
        return round(100.0 * self.done / self.planned, 1) if self.planned else None


COUNTED = (
    "interactions",
    "customers",
    "with_next_action",
    "with_feedback",
    "new_customers",
    "orders",
    "needs",
    "class_moves",
    "planned",
    "done",
)


def team_summary(
    viewer: User, reps: list[User], day: dt.date
) -> tuple[list[SummaryRow], SummaryRow]:
    """One row per rep and the total. Seven GROUP BY queries whatever the team size."""
    ids = [r.pk for r in reps]
    rows: dict[int, SummaryRow] = {r.pk: SummaryRow(rep=r) for r in reps}
    inter = interactions(viewer, ids, day)
    for r in (
        inter.values("owner_id")
        .annotate(
            n=Count("id"),
            c=Count("customer_id", distinct=True),
            a=Count("id", filter=~Q(next_action="")),
            f=Count("id", filter=~Q(feedback="")),
        )
        .order_by()
    ):
        row = rows[r["owner_id"]]
        row.interactions, row.customers = r["n"], r["c"]
        row.with_next_action, row.with_feedback = r["a"], r["f"]
    for r in inter.values("owner_id", "channel").annotate(n=Count("id")).order_by():
        rows[r["owner_id"]].by_channel[r["channel"]] = r["n"]
    for r in new_customers(viewer, ids, day).values("owner_id").annotate(n=Count("id")).order_by():
        rows[r["owner_id"]].new_customers = r["n"]
    for r in (
        orders(viewer, ids, day)
        .values("customer__owner_id")
        .annotate(n=Count("id"), amount=Coalesce(Sum("amount"), Decimal("0")))
        .order_by()
    ):
        row = rows[r["customer__owner_id"]]
        row.orders, row.order_amount = r["n"], r["amount"]
    for r in needs_opened(viewer, ids, day).values("owner_id").annotate(n=Count("id")).order_by():
        rows[r["owner_id"]].needs = r["n"]
    for r in (
        class_moves(viewer, ids, day)
        .values("customer__owner_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        rows[r["customer__owner_id"]].class_moves = r["n"]
    for r in (
        planned_lines(viewer, ids, day)
        .values("rep_id")
        .annotate(n=Count("id"), d=Count("id", filter=Q(done=True)))
        .order_by()
    ):
        rows[r["rep_id"]].planned, rows[r["rep_id"]].done = r["n"], r["d"]
    ordered = [rows[r.pk] for r in reps]
    total = SummaryRow(rep=None)
    for row in ordered:
        for name in COUNTED:
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.order_amount += row.order_amount
        for channel, n in row.by_channel.items():
            total.by_channel[channel] = total.by_channel.get(channel, 0) + n
    return ordered, total


@dataclass
class DayReport:
    """The detail of one rep's day (or several reps', for a manager's export)."""

    day: dt.date
    contacts: list[Interaction]
    by_content: dict[str, int]
    new_customers: list[Customer]
    orders: list[Order]
    needs: list[Need]
    class_moves: list[ScoreChange]
    not_done: list[CallListLine]
    maturity: dict[int, str]  # customer id → current class, for the contact list


def day_report(
    viewer: User, rep_ids: list[int], day: dt.date, *, limit: int | None = None
) -> DayReport:
    """The lists behind the summary: one query each, with related rows joined. A page
    passes `limit` (a director's day can hold thousands of contacts); exports do not."""

    def take(qs: QuerySet) -> list:
        return list(qs[:limit] if limit is not None else qs)

    contacts = take(
        interactions(viewer, rep_ids, day)
        .select_related("customer", "contact", "owner", "customer__maturity")
        .order_by("occurred_at", "id")
    )
    by_content = (
        interactions(viewer, rep_ids, day)
        .values_list("content_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    return DayReport(
        day=day,
        contacts=contacts,
        by_content=dict(by_content),
        new_customers=take(
            new_customers(viewer, rep_ids, day).select_related("owner").order_by("created_at", "id")
        ),
        orders=take(
            orders(viewer, rep_ids, day)
            .select_related("customer", "customer__owner")
            .order_by("id")
        ),
        needs=take(
            needs_opened(viewer, rep_ids, day)
            .select_related("customer", "owner")
            .order_by("created_at", "id")
        ),
        class_moves=take(
            class_moves(viewer, rep_ids, day)
            .select_related("customer", "changed_by")
            .order_by("changed_at", "id")
        ),
        not_done=take(
            planned_lines(viewer, rep_ids, day)
            .filter(done=False)
            .select_related("customer", "rep")
            .order_by("rep_id", "rank")
        ),
        maturity={
            i.customer_id: getattr(getattr(i.customer, "maturity", None), "value", "0")
            for i in contacts
        },
    )


# --- exports ----------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _contact_header() -> list[str]:
    return [
        _("Rep"),
        _("Time"),
        _("Customer number"),
        _("Company name"),
        _("Maturity"),
        _("Contact"),
        _("Channel"),
        _("Content type"),
        _("Summary"),
        _("Customer feedback"),
        _("Next action"),
        _("Next action due"),
    ]


def _contact_cells(report: DayReport) -> Iterator[list[Any]]:
    channels = dict(Channel.choices)
    contents = dict(ContentType.choices)
    classes = dict(Maturity.choices)
    for i in report.contacts:
        cls = report.maturity.get(i.customer_id, "0")
        yield [
            str(i.owner),
            timezone.localtime(i.occurred_at).strftime("%H:%M"),
            i.customer.number,
            i.customer.name,
            str(classes.get(cls, cls)),
            str(i.contact) if i.contact else "",
            str(channels.get(i.channel, i.channel)),
            str(contents.get(i.content_type, i.content_type)),
            i.summary,
            i.feedback,
            i.next_action,
            i.next_action_due.isoformat() if i.next_action_due else "",
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def contacts_csv_rows(report: DayReport) -> Iterator[str]:
    """The day's contacts as CSV lines: UTF-8 with BOM, formula-safe cells."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(h) for h in _contact_header()])
    for cells in _contact_cells(report):
        yield writer.writerow([safe_cell(c) for c in cells])


def _put(ws, row: int, col: int, value: Any, fmt=None) -> None:
    """Numbers as numbers; text through safe_cell and write_string (never a formula)."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, safe_cell(_("Yes") if value else _("No")), fmt)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(row, col, float(value), fmt)
    else:
        ws.write_string(row, col, safe_cell(value), fmt)


def _sheet(wb, title: str, header: list[str], rows: Iterable[list[Any]], bold) -> None:
    ws = wb.add_worksheet(title[:31])
    for col, text in enumerate(header):
        _put(ws, 0, col, str(text), bold)
        ws.set_column(col, col, max(10, min(40, len(str(text)) + 4)))
    for r, cells in enumerate(rows, start=1):
        for col, value in enumerate(cells):
            _put(ws, r, col, value)
    ws.freeze_panes(1, 0)


def activity_workbook(rows: list[SummaryRow], total: SummaryRow, report: DayReport) -> bytes:
    """销售活动日报 as .xlsx: summary per rep, contacts, orders, new customers, needs."""
    channels = dict(Channel.choices)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = wb.add_format({"bold": True})
    summary_header = [
        _("Rep"),
        _("Interactions"),
        _("Customers contacted"),
        *[str(v) for v in channels.values()],
        _("With next action"),
        _("With feedback"),
        _("New customers"),
        _("Orders"),
        _("Order amount (CNY)"),
        _("Needs opened"),
        _("Class changes"),
        _("Calls planned"),
        _("Planned calls done"),
    ]

    def summary_cells(row: SummaryRow) -> list[Any]:
        return [
            str(row.rep) if row.rep else _("Total"),
            row.interactions,
            row.customers,
            *[row.by_channel.get(k, 0) for k in channels],
            row.with_next_action,
            row.with_feedback,
            row.new_customers,
            row.orders,
            row.order_amount,
            row.needs,
            row.class_moves,
            row.planned,
            row.done,
        ]

    title = _("Daily activity report %(day)s") % {"day": report.day.isoformat()}
    _sheet(
        wb,
        _("Summary"),
        summary_header,
        [*(summary_cells(r) for r in rows), summary_cells(total), [title]],
        bold,
    )
    _sheet(wb, _("Contacts"), _contact_header(), _contact_cells(report), bold)
    _sheet(
        wb,
        _("Orders"),
        [_("Rep"), _("Customer number"), _("Company name"), _("Order number"), _("Amount (CNY)")],
        (
            [str(o.customer.owner), o.customer.number, o.customer.name, o.number, o.amount]
            for o in report.orders
        ),
        bold,
    )
    _sheet(
        wb,
        _("New customers"),
        [_("Rep"), _("Customer number"), _("Company name")],
        ([str(c.owner), c.number, c.name] for c in report.new_customers),
        bold,
    )
    _sheet(
        wb,
        _("Needs"),
        [_("Rep"), _("Customer number"), _("Company name"), _("Description")],
        ([str(n.owner), n.customer.number, n.customer.name, n.description] for n in report.needs),
        bold,
    )
    wb.close()
    return buf.getvalue()
