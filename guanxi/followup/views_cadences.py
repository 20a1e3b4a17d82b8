"""Settings pages of follow-up discipline: cadence rules, the working calendar and
reps' call capacity. No customer data. Everyone reads cadences and the calendar;
managers, directors and admins edit cadences; directors and admins edit the
calendar; managers set the capacity of the reps in their reach."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.models import User
from guanxi.customers.conflicts import apply_service_errors
from guanxi.scoring.choices import Maturity

from . import page_selectors as ps
from . import services
from .calllist import DEFAULT_AM_GOLDEN, DEFAULT_CAPACITY, DEFAULT_PM_GOLDEN
from .choices import AgeBand
from .forms import CadenceRuleForm, CalendarYearForm, CapacityForm, segment_choices
from .models import CadenceRule

# --- cadence rules -------------------------------------------------------------------


def _require_editor(user: User) -> None:
    if not services.can_edit_cadences(user):
        raise PermissionDenied(_("Only managers, directors and administrators edit cadences."))


def scope_label(maturity: str, segment: str, age_band: str) -> str:
    segments = dict(segment_choices())
    parts = []
    if maturity:
        parts.append(str(dict(Maturity.choices).get(maturity, maturity)))
    if segment:
        parts.append(str(segments.get(segment, segment)))
    if age_band:
        parts.append(str(dict(AgeBand.choices).get(age_band, age_band)))
    return " · ".join(parts) if parts else _("Every customer")


@login_required
@require_GET
def cadences(request: HttpRequest) -> HttpResponse:
    groups = [{"label": scope_label(*g.key), "rules": g.rules} for g in ps.cadence_groups()]
    context = {"groups": groups, "can_edit": services.can_edit_cadences(request.user)}
    return render(request, "followup/cadences.html", context)


def _rule_form_page(request: HttpRequest, *, rule: CadenceRule | None) -> HttpResponse:
    _require_editor(request.user)
    form = CadenceRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                services.cadence_rule_create(user=request.user, data=form.service_data())
            else:
                services.cadence_rule_update(user=request.user, rule=rule, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Cadence rule saved."))
            return redirect("followup:cadences")
    title = (
        _("New cadence rule") if rule is None else _("Edit cadence rule #%(id)s") % {"id": rule.pk}
    )
    status = 400 if form.errors else 200
    return render(
        request,
        "followup/cadence_form.html",
        {"form": form, "rule": rule, "title": title},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cadence_create(request: HttpRequest) -> HttpResponse:
    return _rule_form_page(request, rule=None)


@login_required
@require_http_methods(["GET", "POST"])
def cadence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    return _rule_form_page(request, rule=get_object_or_404(CadenceRule, pk=pk))


@login_required
@require_POST
def cadence_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an active rule, or reactivate one (refused if it would overlap)."""
    _require_editor(request.user)
    rule = get_object_or_404(CadenceRule, pk=pk)
    try:
        services.cadence_rule_update(
            user=request.user, rule=rule, data={"is_active": not rule.is_active}
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Cadence rule #%(id)s reactivated.") % {"id": rule.pk}
            if not rule.is_active
            else _("Cadence rule #%(id)s deactivated.") % {"id": rule.pk},
        )
    return redirect("followup:cadences")


# --- working calendar ------------------------------------------------------------------

# one or two letters, so that a month fits a narrow card (一 二 三 … in Chinese)
WEEKDAY_INITIALS = [
    pgettext_lazy("calendar weekday", "Mo"),
    pgettext_lazy("calendar weekday", "Tu"),
    pgettext_lazy("calendar weekday", "We"),
    pgettext_lazy("calendar weekday", "Th"),
    pgettext_lazy("calendar weekday", "Fr"),
    pgettext_lazy("calendar weekday", "Sa"),
    pgettext_lazy("calendar weekday", "Su"),
]


def can_edit_calendar(user: User) -> bool:
    return bool(user.is_authenticated and user.sees_everything)


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= 2100:
        raise Http404
    can_edit = can_edit_calendar(request.user)
    holidays, makeup = ps.year_exceptions(year)
    form = None
    if can_edit:
        form = CalendarYearForm(
            request.POST or None, initial=CalendarYearForm.initial_for(holidays, makeup)
        )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only directors and administrators edit the calendar."))
        if form.is_valid():
            try:
                count = services.calendar_set_year(
                    user=request.user,
                    year=year,
                    holidays=form.cleaned_data["holidays"],
                    makeup_days=form.cleaned_data["makeup_days"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Calendar of %(year)s saved: %(count)s exceptions.")
                    % {"year": year, "count": count},
                )
                return redirect(f"{reverse('followup:calendar')}?year={year}")
    context = {
        "year": year,
        "months": ps.year_grid(year),
        "weekday_names": WEEKDAY_INITIALS,
        "holidays": holidays,
        "makeup": makeup,
        "form": form,
        "can_edit": can_edit,
    }
    return render(
        request, "followup/calendar.html", context, status=400 if form and form.errors else 200
    )


# --- call capacity ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def capacity(request: HttpRequest) -> HttpResponse:
    """One row per rep in reach; each row posts its own form (`rep` names the row)."""
    user = request.user
    _require_editor(user)
    reps = ps.capacity_reps(user)
    failed: dict[int, CapacityForm] = {}
    if request.method == "POST":
        rep = ps.rep_for(user, request.POST.get("rep"))
        form = CapacityForm(request.POST)
        if form.is_valid():
            try:
                services.rep_capacity_set(user=user, rep=rep, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Call capacity of %(rep)s saved.") % {"rep": rep})
                return redirect("followup:capacity")
        failed[rep.pk] = form
    rows = []
    for rep, cap in reps:
        form = failed.get(rep.pk) or CapacityForm(
            initial={
                "capacity": cap.capacity if cap else DEFAULT_CAPACITY,
                "am_golden": cap.am_golden if cap else DEFAULT_AM_GOLDEN,
                "pm_golden": cap.pm_golden if cap else DEFAULT_PM_GOLDEN,
            }
        )
        rows.append({"rep": rep, "form": form, "on_leave": cap is not None and cap.capacity == 0})
    return render(request, "followup/capacity.html", {"rows": rows}, status=400 if failed else 200)
