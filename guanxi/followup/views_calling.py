"""Calling mode (拨打模式): work a call list one customer after another.

`?date=&rep=&rank=`: the line at `rank` of `rep`'s list (no rank: the first line
not done yet). A rep works their own list; a manager or director may open the
lists of reps in their reach; anything else is 404. POST logs the call through
`customers.services.interaction_create` (which refreshes scores and the next
follow-up) and, when a class was picked, `scoring.services.maturity_set`; then
it moves to the next line not done yet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.customers import services as customer_services
from guanxi.customers.conflicts import apply_service_errors
from guanxi.scoring import services as scoring_services
from guanxi.scoring.views import maturity_options  # the customer page's one-click picker

from . import page_selectors as ps
from .forms import CallOutcomeForm
from .views_calllist import list_url, parse_day


def calling_url(day, rep_id: int, rank: int | None = None) -> str:
    params = {"date": day.isoformat(), "rep": str(rep_id)}
    if rank is not None:
        params["rank"] = str(rank)
    return f"{reverse('followup:calling')}?{urlencode(params)}"


def _rank(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


def log_call(*, user, customer, form: CallOutcomeForm, current_maturity: str) -> None:
    """Interaction, then the class if it changed; one transaction, so a refused
    class leaves no half-logged call."""
    with transaction.atomic():
        customer_services.interaction_create(user=user, customer=customer, data=form.service_data())
        value = form.cleaned_data.get("maturity")
        if value and value != current_maturity:
            scoring_services.maturity_set(
                user=user, customer=customer, value=value, reason=form.cleaned_data["summary"][:300]
            )


@login_required
@require_http_methods(["GET", "POST"])
def calling(request: HttpRequest) -> HttpResponse:
    user = request.user
    day = parse_day(request.GET.get("date"))
    rep = ps.rep_for(user, request.GET.get("rep"))
    rows = ps.rep_lines(user=user, rep=rep, day=day)
    if not rows:
        if request.method == "POST":
            raise Http404
        messages.info(request, _("There is no line to call on this list."))
        return redirect(list_url(day, None if rep.pk == user.pk else rep.pk))
    nav = ps.neighbours(rows, _rank(request.GET.get("rank")))
    row = nav.current
    customer = row.customer
    form = CallOutcomeForm(request.POST or None, user=user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            log_call(user=user, customer=customer, form=form, current_maturity=row.maturity)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Call with %(name)s logged.") % {"name": customer.name})
            if nav.next_undone is None:
                messages.success(request, _("Every customer on this list is done."))
                return redirect(list_url(day, None if rep.pk == user.pk else rep.pk))
            return redirect(calling_url(day, rep.pk, nav.next_undone.rank))
    brief = ps.customer_brief(user=user, customer=customer)
    done = sum(r.done for r in rows)
    context = {
        "day": day,
        "rep": rep,
        "own": rep.pk == user.pk,
        "row": row,
        "nav": nav,
        "brief": brief,
        "form": form,
        "maturity_options": maturity_options(row.maturity),
        "total": len(rows),
        "done": done,
        "position": nav.index + 1,
        "today": timezone.localdate(),
        "back_url": list_url(day, None if rep.pk == user.pk else rep.pk),
        "prev_url": calling_url(day, rep.pk, nav.previous.rank) if nav.previous else "",
        "next_url": calling_url(day, rep.pk, nav.next.rank) if nav.next else "",
        "skip_url": calling_url(day, rep.pk, nav.next_undone.rank)
        if nav.next_undone and nav.next_undone.rank != row.rank
        else "",
        "self_url": calling_url(day, rep.pk, row.rank),
    }
    return render(request, "followup/calling.html", context, status=400 if form.errors else 200)
