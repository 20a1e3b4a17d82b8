"""The customer 360° page and what hangs off a customer: interactions, contacts,
orders, needs. Every lookup goes through the visible_* selectors, so a record of
a customer the user may not see answers 404 exactly like a missing one."""

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.core.exceptions import ConflictError
from guanxi.scoring import services as scoring_services
from guanxi.scoring.views import customer_scores_context

from . import selectors, services
from .conflicts import apply_service_errors, conflict_rows, rebind_with_version
from .forms import (
    ContactEditForm,
    ContactForm,
    InteractionForm,
    NeedEditForm,
    NeedForm,
    OrderForm,
    can_manage,
)
from .models import Customer
from .presenters import describe_trail, profile_sections

TIMELINE_LIMIT = 100
PROFILE_STALE_AFTER = dt.timedelta(days=30)
CHANNEL_ICONS = {
    "phone": "bi-telephone",
    "visit": "bi-geo-alt",
    "email": "bi-envelope",
    "wechat": "bi-wechat",
    "video": "bi-camera-video",
    "event": "bi-calendar-event",
}
# Need.priority quadrants with the answer-time rule of SPEC §8.
QUADRANTS = [
    ("urgent_important", gettext_lazy("Urgent and important"), gettext_lazy("Answer in 24 h")),
    ("important", gettext_lazy("Important, not urgent"), gettext_lazy("Plan within a week")),
    ("urgent", gettext_lazy("Urgent, not important"), gettext_lazy("Quick standard answer")),
    ("normal", gettext_lazy("Neither urgent nor important"), gettext_lazy("When time allows")),
]


def _detail_url(customer: Customer, tab: str = "") -> str:
    url = reverse("customers:detail", kwargs={"pk": customer.pk})
    return f"{url}#{tab}" if tab else url


def _timeline_context(request: HttpRequest, customer: Customer, form=None) -> dict[str, Any]:
    interactions = list(
        selectors.visible_interactions(request.user).filter(customer=customer)[:TIMELINE_LIMIT]
    )
    for item in interactions:
        item.icon = CHANNEL_ICONS.get(item.channel, "bi-chat-dots")
    return {
        "customer": customer,
        "interactions": interactions,
        "interaction_form": form or InteractionForm(user=request.user, customer=customer),
        "today": timezone.localdate(),
    }


def _detail_context(request: HttpRequest, customer: Customer, form=None) -> dict[str, Any]:
    user = request.user
    orders = selectors.visible_orders(user).filter(customer=customer)
    needs = list(selectors.visible_needs(user).filter(customer=customer))
    updated = customer.profile_updated_at
    return {
        **_timeline_context(request, customer, form),
        "tags": list(customer.tags.all()),
        "profile": profile_sections(customer),
        "profile_stale": updated is None or updated < timezone.now() - PROFILE_STALE_AFTER,
        "contacts": selectors.visible_contacts(user).filter(customer=customer),
        "orders": orders,
        "order_totals": orders.aggregate(total=Sum("amount"), count=Count("id")),
        "needs": needs,
        "quadrants": [
            {
                "key": key,
                "label": label,
                "rule": rule,
                "needs": [n for n in needs if n.priority == key],
            }
            for key, label, rule in QUADRANTS
        ],
        "trail": describe_trail(selectors.customer_audit_trail(customer)),
        "can_manage": can_manage(user),
        **customer_scores_context(request, customer),
    }


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    return render(request, "customers/detail.html", _detail_context(request, customer))


@login_required
@require_POST
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    form = InteractionForm(request.POST, user=request.user, customer=customer)
    if form.is_valid():
        try:
            services.interaction_create(
                user=request.user, customer=customer, data=form.service_data()
            )
            if form.cleaned_data.get("maturity"):
                scoring_services.maturity_set(
                    user=request.user,
                    customer=customer,
                    value=form.cleaned_data["maturity"],
                    reason=form.cleaned_data["summary"][:300],
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if request.htmx:
                context = {**_timeline_context(request, customer), "logged": True}
                return render(request, "customers/detail.html#timeline-panel", context)
            messages.success(request, _("Interaction logged."))
            return redirect(_detail_url(customer, "timeline"))
    if request.htmx:
        context = _timeline_context(request, customer, form)
        return render(request, "customers/detail.html#timeline-panel", context)
    context = {**_detail_context(request, customer, form), "active_tab": "timeline"}
    return render(request, "customers/detail.html", context)


# --- contacts, orders, needs: one form page each ------------------------------


def _child_form_page(
    request: HttpRequest,
    *,
    customer: Customer,
    form: ModelForm,
    save: Callable[[ModelForm], Any],
    title: str,
    tab: str,
    success: str,
) -> HttpResponse:
    """form → service → redirect; a stale version re-renders with both values side by side."""
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except ConflictError as err:
            conflict = {"message": str(err), "rows": conflict_rows(form, err.current)}
            form = rebind_with_version(form, err.current_version)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(_detail_url(customer, tab))
    context = {
        "customer": customer,
        "form": form,
        "title": title,
        "conflict": conflict,
        "cancel_url": _detail_url(customer, tab),
    }
    return render(request, "customers/child_form.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    form = ContactForm(request.POST or None, user=request.user)
    return _child_form_page(
        request,
        customer=customer,
        form=form,
        save=lambda f: services.contact_create(
            user=request.user, customer=customer, data=f.service_data()
        ),
        title=_("New contact"),
        tab="contacts",
        success=_("Contact saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(selectors.visible_contacts(request.user), pk=contact_id)
    if request.method == "POST":
        form = ContactEditForm(request.POST, instance=copy.deepcopy(contact), user=request.user)
    else:
        form = ContactEditForm(
            instance=contact, initial={"version": contact.version}, user=request.user
        )
    return _child_form_page(
        request,
        customer=contact.customer,
        form=form,
        save=lambda f: services.contact_update(
            user=request.user,
            contact=contact,
            version=f.cleaned_data["version"],
            data=f.service_data(),
        ),
        title=_("Edit contact %(name)s") % {"name": contact.name},
        tab="contacts",
        success=_("Contact saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    form = OrderForm(request.POST or None, user=request.user)
    return _child_form_page(
        request,
        customer=customer,
        form=form,
        save=lambda f: services.order_create(
            user=request.user, customer=customer, data=f.service_data()
        ),
        title=_("New order"),
        tab="orders",
        success=_("Order saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_create(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    form = NeedForm(request.POST or None, user=request.user)
    return _child_form_page(
        request,
        customer=customer,
        form=form,
        save=lambda f: services.need_create(
            user=request.user, customer=customer, data=f.service_data()
        ),
        title=_("New need"),
        tab="needs",
        success=_("Need saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_edit(request: HttpRequest, need_id: int) -> HttpResponse:
    need = get_object_or_404(selectors.visible_needs(request.user), pk=need_id)
    if request.method == "POST":
        form = NeedEditForm(request.POST, instance=copy.deepcopy(need), user=request.user)
    else:
        form = NeedEditForm(instance=need, initial={"version": need.version}, user=request.user)
    return _child_form_page(
        request,
        customer=need.customer,
        form=form,
        save=lambda f: services.need_update(
            user=request.user, need=need, version=f.cleaned_data["version"], data=f.service_data()
        ),
        title=_("Edit need"),
        tab="needs",
        success=_("Need saved."),
    )
