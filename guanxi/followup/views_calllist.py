"""The daily call list page (每日call list): a rep's lines of a day grouped by
golden-hour slot, with reasons, overdue and rollover days and done state.

`?date=YYYY-MM-DD&rep=<id>`: today and the caller by default; a rep out of the
caller's reach answers 404, like a missing one."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guanxi.accounts.models import User

from . import page_selectors as ps
from .calllist import calllists_build


def parse_day(raw: str | None) -> dt.date:
    """`?date=`: today when absent; a malformed date is a 404 (no such list)."""
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None


def list_url(day: dt.date, rep_id: int | None = None) -> str:
    params = {"date": day.isoformat()}
    if rep_id is not None:
        params["rep"] = str(rep_id)
    return f"{reverse('followup:calllist')}?{urlencode(params)}"


def rep_options(user: User, selected: User) -> str:
    """<option>s of the rep picker, rendered in one pass: a director reaches every
    user, and a template loop over hundreds of them costs more than the list."""
    me = _("me")
    return format_html_join(
        "",
        '<option value="{}"{}>{}{}</option>',
        (
            (
                r.pk,
                mark_safe(" selected") if r.pk == selected.pk else "",  # noqa: S308
                str(r),
                f" ({me})" if r.pk == user.pk else "",
            )
            for r in ps.reachable_reps(user).only(
                "id", "username", "display_name", "first_name", "last_name"
            )
        ),
    )


@login_required
@require_GET
def calllist(request: HttpRequest) -> HttpResponse:
    user = request.user
    day = parse_day(request.GET.get("date"))
    rep = ps.rep_for(user, request.GET.get("rep"))
    rows = ps.rep_lines(user=user, rep=rep, day=day)
    own = rep.pk == user.pk
    leave_lists = ps.leave_lists(user=user, day=day) if own else []
    leave = ps.leave_lines(user=user, day=day, lists=leave_lists)
    picker = user.is_manager or user.sees_everything
    context = {
        "day": day,
        "today": timezone.localdate(),
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "rep": rep,
        "own": own,
        "rep_options": rep_options(user, rep) if picker else "",
        "header": ps.list_header(rep=rep, day=day),
        "groups": ps.group_by_slot(rows),
        "total": len(rows),
        "done": sum(r.done for r in rows),
        "leave_rows": leave,
        "leave_lists": leave_lists,
        "truncated": len(rows) >= ps.LINES_LIMIT,
        "lines_limit": ps.LINES_LIMIT,
        "calling_url": reverse("followup:calling"),
        "calling_base": f"{reverse('followup:calling')}?"
        + urlencode({"date": day.isoformat(), "rep": rep.pk}),
    }
    return render(request, "followup/calllist.html", context)


@login_required
@require_POST
def calllist_build(request: HttpRequest) -> HttpResponse:
    """Build today's lists when the morning job has not run (idempotent). A day
    already built is never rebuilt from here: that would drop the lines done so far."""
    day = timezone.localdate()
    header = ps.list_header(rep=request.user, day=day)
    if header.built:
        messages.info(request, _("Today's call lists are already built."))
    else:
        summary = calllists_build(day, trigger=f"page:{request.user.username}"[:40])
        messages.success(
            request,
            _("Call lists built: %(lists)s lists, %(lines)s lines.")
            % {"lists": summary.lists, "lines": summary.lines},
        )
    rep = request.POST.get("rep") or None
    try:
        rep_id = int(rep) if rep else None
    except ValueError:
        rep_id = None
    return redirect(list_url(day, rep_id))
