"""Inbox (list, mark read, dismiss), the unread badge partial and preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.pagination import keyset_page
from guanxi.customers.models import Customer

from . import selectors, services
from .forms import AlertRuleForm, InboxFilterForm, PreferenceForm, PurchaseCycleForm
from .models import Alert, Rule, Status
from .purchase import cycle_of
from .rules import DEFAULTS, rule_configs

PAGE = 50


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
    page = keyset_page(qs, request.GET.get("cursor") or None, size=PAGE)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "alerts": page.rows,
        "page": page,
        "query": query.urlencode(),
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


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """Every rule with its switch and thresholds; directors and admins may change them."""
    configs = rule_configs()
    can_edit = request.user.sees_everything
    forms = []
    for key, spec in DEFAULTS.items():
        cfg = configs[key]
        bound = request.method == "POST" and request.POST.get("rule") == key
        initial = {"enabled": cfg.enabled, **cfg.params}
        form = AlertRuleForm(
            request.POST if bound else None, initial=initial, spec=spec, prefix=key
        )
        if bound:
            if not can_edit:
                raise PermissionDenied
            if form.is_valid():
                try:
                    services.alert_rule_update(
                        user=request.user,
                        key=key,
                        enabled=form.cleaned_data["enabled"],
                        params=form.params(),
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("Rule saved: %(rule)s") % {"rule": Rule(key).label})
                    return redirect("alerts:rules")
        forms.append((key, Rule(key).label, form))
    return render(request, "alerts/rules.html", {"rule_forms": forms, "can_edit": can_edit})


@login_required
def purchase_cycle(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=customer_pk)
    if request.method == "POST":
        form = PurchaseCycleForm(request.POST)
        if form.is_valid():
            services.purchase_cycle_set(
                user=request.user, customer_id=customer.pk, days=form.cleaned_data["days"]
            )
            messages.success(request, _("Purchase cycle saved."))
            return redirect("alerts:purchase_cycle", customer_pk=customer.pk)
    params = rule_configs()[Rule.REPURCHASE_DUE].params
    cycle = cycle_of(customer.pk, as_of=timezone.localdate(), params=params)
    if request.method != "POST":
        form = PurchaseCycleForm(initial={"days": cycle["hand"]})
    context = {"customer": customer, "form": form, "cycle": cycle, "params": params}
    return render(request, "alerts/purchase_cycle.html", context)
