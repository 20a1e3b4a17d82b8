"""Inbox (list, mark read, dismiss), the unread badge partial and preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import InboxFilterForm, PreferenceForm
from .models import Alert, Rule, Status

PAGE = 100


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    rule, status, unread = "", Status.OPEN, False
    if form.is_valid():
        rule = form.cleaned_data["rule"]
        status = form.cleaned_data["status"] or Status.OPEN
        unread = form.cleaned_data["unread"]
    qs = selectors.inbox(
        user=request.user, rule=rule, status="" if status == "all" else status, unread=unread
    )
    rows = list(qs[: PAGE + 1])
    context = {
        "form": form,
        "alerts": rows[:PAGE],
        "more": len(rows) > PAGE,
        "unread_count": selectors.unread_count(user=request.user),
    }
    return render(request, "alerts/inbox.html", context)


@login_required
def badge(request: HttpRequest) -> HttpResponse:
    count = selectors.unread_count(user=request.user)
    return render(request, "alerts/_badge.html", {"unread_count": count})


def _back(request: HttpRequest) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("alerts:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.alert_mark_read(user=request.user, alert_id=pk)
    except Alert.DoesNotExist as exc:
        raise Http404 from exc
    return _back(request)


@login_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.alert_dismiss(user=request.user, alert_id=pk)
    except Alert.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("Alert dismissed."))
    return _back(request)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref = selectors.preference_get(user=request.user)
    muted = set(pref.muted_rules or [])
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_update(
                user=request.user,
                digest_enabled=form.cleaned_data["digest_enabled"],
                muted_rules=[r for r in Rule.values if r not in form.cleaned_data["rules"]],
            )
            messages.success(request, _("Preferences saved."))
            return redirect("alerts:preferences")
    else:
        form = PreferenceForm(
            initial={
                "digest_enabled": pref.digest_enabled,
                "rules": [r for r in Rule.values if r not in muted],
            }
        )
    return render(request, "alerts/preferences.html", {"form": form})
