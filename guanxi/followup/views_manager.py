"""Manager pages: monitoring (三表一卡 / stock table), its drill-down, the expected
stock, and the daily activity report (销售活动日报) with its exports.

Thin views: reach comes from `monitoring.monitored_reps` (a rep gets only their own
row), figures from `monitoring` and `activity`, all through the visibility rule."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.core.pagination import keyset_page
from guanxi.customers.choices import Channel, ContentType
from guanxi.scoring.choices import Maturity

from . import activity, monitoring
from .forms_manager import (
    WEEKDAYS,
    ActivityForm,
    PlanTargetForm,
    ScopeForm,
    StockTargetFormSet,
)
from .models import PlanTarget, StockTarget
from .presenters import reason_text
from .selectors import work_calendar

PAGE_SIZE = 100
NOT_DONE_SHOWN = 30  # the activity page lists the first ones and links to the rest
CHART_REPS = 40  # bars in the stock chart
LIST_LIMIT = 300  # rows per list on the activity page; the exports have them all


def short_labels() -> dict[str, str]:
    """Column heads of the stock table (translated for the current request)."""
    return {
        "0": _("0 new"),
        "1": "1",
        "2": "2",
        "3k": _("Key 3"),
        "3o": _("Ord. 3"),
        "4k": _("Key 4"),
        "4o": _("Ord. 4"),
        "4": _("4 (all)"),
        "5": "5",
        "6": "6",
        "7": "7",
        "total": _("Total"),
    }


def _url(name: str, params: dict[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")


def can_edit_targets(user) -> bool:
    return bool(user.is_authenticated and user.sees_everything)


def _scope(request: HttpRequest, form_class=ScopeForm, **defaults: str):
    data = {k: request.GET[k] for k in ("team", "rep", "date") if request.GET.get(k)}
    data = {**defaults, **data}
    form = form_class(data or None, user=request.user)
    if form.is_bound and not form.is_valid():
        messages.warning(request, _("A filter is not available to you or not valid; ignored."))
    reps = list(monitoring.monitored_reps(request.user, **form.scope()))
    return form, reps


def _refuse_out_of_reach(request: HttpRequest, form: ScopeForm, reps: list) -> None:
    """A rep asked for by id but out of the viewer's reach answers 404, as a missing one."""
    if request.GET.get("rep") and (not reps or form.has_error("rep")):
        raise Http404


# --- monitoring -------------------------------------------------------------------


def _drill(params: dict[str, str], **extra: Any) -> str:
    return _url("followup:monitoring_customers", {**params, **extra})


def _stock_chart(report: monitoring.Monitoring, params: dict[str, str]) -> dict:
    labels = short_labels()
    # the largest books, so a director's chart stays readable; the table has everyone
    reps = sorted((r for r in report.rows if r.total), key=lambda r: -r.total)[:CHART_REPS]
    reps.reverse()  # ECharts draws the first category at the bottom
    return {
        "reps": [str(r.rep) for r in reps],
        "classes": [str(labels[c]) for c in monitoring.STOCK_CLASSES],
        "series": [[r.stock.get(c, 0) for r in reps] for c in monitoring.STOCK_CLASSES],
        "urls": [
            [_drill({**params, "rep": r.rep.pk}, metric="stock", cls=c) for r in reps]
            for c in monitoring.STOCK_CLASSES
        ],
    }


def _calls_chart(report: monitoring.Monitoring, params: dict[str, str]) -> dict:
    return {
        "days": [d.strftime("%m-%d") for d, *_rest in report.daily],
        "planned": [p for _d, p, _done, _l in report.daily],
        "done": [done for _d, _p, done, _l in report.daily],
        "logged": [logged for *_rest, logged in report.daily],
        "names": [str(_("Planned")), str(_("Done from the list")), str(_("Contacts logged"))],
        "urls": [_drill(params, metric="planned", day=d.isoformat()) for d, *_r in report.daily],
    }


def _plan_chart(report: monitoring.Monitoring, params: dict[str, str]) -> dict:
    per_rep = len(report.rows) or 1
    return {
        "days": [date_format(d, "D m-d") for d in report.plan_days],
        "counts": report.totals.plan,
        "targets": [t * per_rep if t is not None else None for t in report.plan_targets],
        "names": [str(_("Customers due")), str(_("Standard"))],
        "urls": [_drill(params, metric="plan_day", day=d.isoformat()) for d in report.plan_days],
    }


def _present(
    row: monitoring.RepRow, report: monitoring.Monitoring, params: dict[str, str]
) -> dict[str, Any]:
    """Template-ready cells of one row (or the totals row), each with its drill-down."""
    base = {**params, "rep": row.rep.pk} if row.rep else params
    status = row.stock_status

    def stock_status(c: str) -> str:
        return status.get("4" if c in ("4k", "4o") else c, "")

    return {
        "rep": row.rep,
        "stock": [
            (row.stock.get(c, 0), stock_status(c), _drill(base, metric="stock", cls=c))
            for c in monitoring.STOCK_CLASSES
        ],
        "total": (row.total, status.get("total", ""), _drill(base, metric="all")),
        "class_3": (row.class_3, _drill(base, metric="class_3")),
        "key_3": (row.stock.get("3k", 0), row.key_3_share, _drill(base, metric="stock", cls="3k")),
        "ord_3": (
            row.stock.get("3o", 0),
            row.ordinary_3_share,
            _drill(base, metric="stock", cls="3o"),
        ),
        "coverage": row.coverage,
        "covered": (row.covered, _drill(base, metric="covered")),
        "uncovered": (row.total - row.covered, _drill(base, metric="uncovered")),
        "due": (row.due, _drill(base, metric="due")),
        "overdue": (row.overdue, _drill(base, metric="overdue")),
        "overdue_3": (row.overdue_3, _drill(base, metric="overdue_3")),
        "planned": (row.planned, _drill(base, metric="planned", day=report.today.isoformat())),
        "done": (row.done, _drill(base, metric="done", day=report.today.isoformat())),
        "not_done": (
            row.planned - row.done,
            _drill(base, metric="not_done", day=report.today.isoformat()),
        ),
        "done_rate": row.done_rate,
        "logged": row.logged,
        "activity_url": _url("followup:activity", base),
        "compliance": row.compliance,
        "cf_due": row.cf_due,
        "late": (row.cf_due - row.cf_on_time, _drill(base, metric="late")),
        "recent": [
            (
                planned,
                done,
                _drill(base, metric="planned", day=d.isoformat()),
                _drill(base, metric="done", day=d.isoformat()),
            )
            for (planned, done), d in zip(row.recent, report.recent_days, strict=True)
        ],
        "plan": [
            (
                n,
                _drill(base, metric="plan_day", day=d.isoformat()),
                "" if t is None or row.rep is None else ("low" if n < t else "ok"),
            )
            for n, d, t in zip(row.plan, report.plan_days, report.plan_targets, strict=True)
        ],
    }


@login_required
@require_GET
def monitoring_page(request: HttpRequest) -> HttpResponse:
    form, reps = _scope(request)
    today = timezone.localdate()
    report = monitoring.monitoring_report(request.user, reps, today=today, cal=work_calendar())
    params = form.params()
    labels = short_labels()
    expected = []
    for c in (*monitoring.STOCK_CLASSES, "total"):
        if c == "4o":
            continue  # key and ordinary 4 share the class-4 target
        key = "4" if c == "4k" else c
        target = report.targets.get(key)
        expected.append((target.text if target else "—", 2 if c == "4k" else 1))
    context = {
        "scope_form": form,
        "report": report,
        "rows": [_present(r, report, params) for r in report.rows],
        "totals": _present(report.totals, report, params),
        "params": params,
        "classes": [(c, labels[c]) for c in monitoring.STOCK_CLASSES],
        "expected": expected,
        "plan": list(zip(report.plan_days, report.plan_targets, strict=True)),
        "stock_chart": _stock_chart(report, params),
        "calls_chart": _calls_chart(report, params),
        "plan_chart": _plan_chart(report, params),
        "can_edit_targets": can_edit_targets(request.user),
        "activity_url": _url("followup:activity", params),
        "is_rep_view": not form.offered,
    }
    return render(request, "followup/monitoring.html", context)


def _metric_title(metric: str, cls: str, day: dt.date | None) -> str:
    labels = short_labels()
    titles = {
        "all": _("All customers"),
        "stock": _("Class %(cls)s") % {"cls": labels.get(cls, cls)},
        "class_3": _("Class 3 (key and ordinary)"),
        "covered": _("Contacted this month"),
        "uncovered": _("Not contacted this month"),
        "overdue": _("Follow-up overdue"),
        "overdue_3": _("Class 3 with the follow-up overdue"),
        "due": _("Due today or earlier"),
        "planned": _("On the call list"),
        "done": _("On the call list, contacted"),
        "not_done": _("On the call list, not contacted"),
        "plan_day": _("Next follow-up falls due"),
        "late": _("Follow-ups not done on time this month"),
    }
    title = str(titles.get(metric, titles["all"]))
    if day is not None and metric in ("planned", "done", "not_done", "plan_day"):
        title += " · " + date_format(day, "Y-m-d D")
    return title


@login_required
@require_GET
def monitoring_customers(request: HttpRequest) -> HttpResponse:
    """The customers behind one number: visible ones of the reps in reach only."""
    form, reps = _scope(request)
    metric = request.GET.get("metric", "all")
    cls = request.GET.get("cls", "")
    if metric not in monitoring.METRICS or (
        metric == "stock" and cls not in (*monitoring.STOCK_CLASSES, *monitoring.GROUP_KEYS)
    ):
        raise Http404
    day = None
    if request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"])
        except ValueError:
            raise Http404 from None
    _refuse_out_of_reach(request, form, reps)
    today = timezone.localdate()
    customers = monitoring.drill_customers(
        request.user, [r.pk for r in reps], metric, today=today, cls=cls, day=day
    )
    ordered = customers.select_related("owner", "maturity", "followup").order_by("-id")
    page = keyset_page(ordered, request.GET.get("cursor") or None, size=PAGE_SIZE)
    next_url = ""
    if page.next_cursor:
        next_url = "?" + urlencode({**request.GET.dict(), "cursor": page.next_cursor})
    first_url = ""
    if page.has_previous:
        first_url = "?" + urlencode({k: v for k, v in request.GET.items() if k != "cursor"})
    scope = form.scope()
    context = {
        "title": _metric_title(metric, cls, day),
        "subtitle": " · ".join(str(v) for v in scope.values()) or _("Everyone you monitor"),
        "rows": page.rows,
        "count": customers.count(),
        "next_url": next_url,
        "first_url": first_url,
        "back_url": _url("followup:monitoring", form.params()),
        "maturity_labels": dict(Maturity.choices),
        "today": today,
    }
    return render(request, "followup/monitoring_customers.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def monitoring_targets(request: HttpRequest) -> HttpResponse:
    """Expected stock per class and the next-week plan standard (directors, admins)."""
    if not can_edit_targets(request.user):
        raise PermissionDenied
    stock_qs = StockTarget.objects.all()
    plan_initial = {f"day_{w}": c for w, c in PlanTarget.objects.values_list("weekday", "calls")}
    if request.method == "POST":
        formset = StockTargetFormSet(request.POST, queryset=stock_qs, prefix="stock")
        plan_form = PlanTargetForm(request.POST, prefix="plan")
        if formset.is_valid() and plan_form.is_valid():
            with transaction.atomic():
                formset.save()
                for weekday, calls in plan_form.values().items():
                    PlanTarget.objects.update_or_create(weekday=weekday, defaults={"calls": calls})
            messages.success(request, _("Targets saved."))
            return redirect("followup:monitoring_targets")
    else:
        formset = StockTargetFormSet(queryset=stock_qs, prefix="stock")
        plan_form = PlanTargetForm(initial=plan_initial, prefix="plan")
    labels = short_labels()
    order = ["0", "1", "2", "3k", "3o", "4", "5", "6", "7", "total"]
    forms_sorted = sorted(
        formset.forms,
        key=lambda f: order.index(f.instance.key) if f.instance.key in order else 99,
    )
    context = {
        "formset": formset,
        "stock_forms": [(labels.get(f.instance.key, f.instance.key), f) for f in forms_sorted],
        "plan_form": plan_form,
        "weekdays": WEEKDAYS,
    }
    return render(request, "followup/monitoring_targets.html", context)


# --- activity report --------------------------------------------------------------


def _activity_scope(request: HttpRequest):
    # bound with today's date by default, so the date picker shows the day
    form, reps = _scope(request, ActivityForm, date=timezone.localdate().isoformat())
    _refuse_out_of_reach(request, form, reps)
    return form, reps, form.day()


@login_required
@require_GET
def activity_page(request: HttpRequest) -> HttpResponse:
    form, reps, day = _activity_scope(request)
    ids = [r.pk for r in reps]
    rows, total = activity.team_summary(request.user, reps, day)
    detail = activity.day_report(request.user, ids, day, limit=LIST_LIMIT)
    channels = dict(Channel.choices)
    contents = dict(ContentType.choices)
    classes = dict(Maturity.choices)
    labels = short_labels()
    params = form.params()
    prev_day = day - dt.timedelta(days=1)
    next_day = day + dt.timedelta(days=1)
    context = {
        "form": form,
        "scope_form": form,
        "day": day,
        "rows": rows,
        "summary_rows": [(r, [r.by_channel.get(k, 0) for k in channels]) for r in rows],
        "moves": [
            (m, classes.get(m.from_value, m.from_value or "—"), classes.get(m.to_value, m.to_value))
            for m in detail.class_moves
        ],
        "total": total,
        "detail": detail,
        "next_actions": sorted(
            (i for i in detail.contacts if i.next_action),
            key=lambda i: (i.next_action_due or dt.date.max, i.occurred_at),
        ),
        "contacts": [
            (i, labels.get(detail.maturity.get(i.customer_id, "0"), "0")) for i in detail.contacts
        ],
        "not_done": [(line, reason_text(line, day)) for line in detail.not_done[:NOT_DONE_SHOWN]],
        "not_done_count": total.planned - total.done,
        "contacts_truncated": total.interactions > len(detail.contacts),
        "list_limit": LIST_LIMIT,
        "not_done_url": _url(
            "followup:monitoring_customers",
            {**params, "metric": "not_done", "day": day.isoformat(), "date": None},
        ),
        "single": len(reps) == 1,
        "channels": [(k, v, total.by_channel.get(k, 0)) for k, v in channels.items()],
        "channel_keys": list(channels),
        "contents": [(v, detail.by_content.get(k, 0)) for k, v in contents.items()],
        "channel_labels": channels,
        "maturity_labels": dict(Maturity.choices),
        "xlsx_url": _url("followup:activity_export", {**params, "format": "xlsx"}),
        "csv_url": _url("followup:activity_export", {**params, "format": "csv"}),
        "prev_url": _url("followup:activity", {**params, "date": prev_day.isoformat()}),
        "next_url": _url("followup:activity", {**params, "date": next_day.isoformat()})
        if next_day <= timezone.localdate()
        else "",
        "monitoring_url": _url(
            "followup:monitoring", {k: v for k, v in params.items() if k != "date"}
        ),
    }
    return render(request, "followup/activity.html", context)


@login_required
@require_GET
def activity_export(request: HttpRequest) -> HttpResponse:
    form, reps, day = _activity_scope(request)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise Http404
    stamp = day.isoformat()
    if fmt == "csv":
        detail = activity.day_report(request.user, [r.pk for r in reps], day)
        response = StreamingHttpResponse(
            activity.contacts_csv_rows(detail), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="activity-{stamp}.csv"'
        return response
    rows, total = activity.team_summary(request.user, reps, day)
    detail = activity.day_report(request.user, [r.pk for r in reps], day)
    body = activity.activity_workbook(rows, total, detail)
    response = HttpResponse(body, content_type=activity.XLSX)
    response["Content-Disposition"] = f'attachment; filename="activity-{stamp}.xlsx"'
    return response
