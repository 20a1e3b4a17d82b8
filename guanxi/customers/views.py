"""Customer list, create/edit, delete/trash/restore, bulk reassign, export, autocomplete.

Thin views: form → service → render. Reads go through `selectors` (the visibility
rule); writes go through `services`. The 360° page and the child records live in
`views_detail.py`.
"""

import copy
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.visibility import customer_visibility_q
from guanxi.core.exceptions import ConflictError
from guanxi.core.pagination import KeysetPage, keyset_page

from . import selectors, services
from .conflicts import apply_service_errors, conflict_rows, rebind_with_version
from .export import CUSTOMER_EXPORT
from .filters import CUSTOMER_SORTS, CustomerFilter, search_customers
from .forms import (
    BulkReassignForm,
    CustomerEditForm,
    CustomerForm,
    can_manage,
    style_filter_form,
)
from .models import Customer

PAGE_SIZE = 50
AUTOCOMPLETE_LIMIT = 20


DEFAULT_SORT = "-id"
# What the list page shows: loading only these keeps a page close to the raw query.
LIST_COLUMNS = (
    "id", "number", "name", "industry", "stage", "city", "updated_at", "is_strategic",
    "owner__id", "owner__username", "owner__display_name", "owner__first_name",
    "owner__last_name",
)  # fmt: skip


def list_rows(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """The columns a list page shows, with the owner and three stored scores joined in
    (the benchmark times this same query). The scores come as plain values: a score
    object per row cost 0.6 ms a page of 50, the values 0.2 ms."""
    return (
        queryset.select_related("owner")
        .only(*LIST_COLUMNS)
        .annotate(
            score_matrix=F("score__matrix"),
            score_health=F("score__health_grade"),
            score_health_points=F("score__health_score"),
        )
    )


@dataclass
class CustomerListing:
    """The visible customers after the filters, plus what was wrong with the query."""

    filterset: CustomerFilter
    queryset: QuerySet[Customer]
    sort: str
    errors: list[str] = field(default_factory=list)


def customer_listing(request: HttpRequest) -> CustomerListing:
    """Apply search, filters and sort to the user's visible customers.

    Invalid values (an unknown sort, a foreign owner id) are reported and ignored:
    the list falls back to what the valid parameters describe.
    """
    base = selectors.visible_customers(request.user)
    filterset = CustomerFilter(request.GET or None, queryset=base, user=request.user)
    style_filter_form(filterset.form)
    errors: list[str] = []
    if filterset.is_bound and not filterset.is_valid():
        for name in filterset.form.errors:
            if name == "ordering":
                errors.append(
                    _("Unknown sort order “%(value)s”; the list is shown newest first.")
                    % {"value": request.GET.get("ordering", "")[:50]}
                )
            else:
                label = filterset.form.fields[name].label if name in filterset.form.fields else ""
                errors.append(
                    _("Invalid value for the filter “%(filter)s”; it was ignored.")
                    % {"filter": label or name}
                )
    sort = (filterset.form.cleaned_data.get("ordering") if filterset.is_bound else None) or (
        DEFAULT_SORT
    )
    queryset = filterset.qs.order_by(*CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS[DEFAULT_SORT]))
    return CustomerListing(filterset=filterset, queryset=queryset, sort=sort, errors=errors)


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    listing = customer_listing(request)
    page: KeysetPage = keyset_page(
        list_rows(listing.queryset).prefetch_related("tags"),
        request.GET.get("cursor") or None,
        size=PAGE_SIZE,
    )
    manage = can_manage(request.user)
    context = {
        "filter_form": listing.filterset.form,
        "page": page,
        "list_errors": listing.errors,
        "can_manage": manage,
        "bulk_form": BulkReassignForm(user=request.user) if manage else None,
    }
    status = 400 if listing.errors else 200
    if request.htmx and not request.htmx.boosted:
        return render(request, "customers/list.html#results", context, status=status)
    return render(request, "customers/list.html", context, status=status)


def _back_to_list(request: HttpRequest) -> str:
    """Return to the list the user was on (filters kept), never to another site."""
    referer = request.headers.get("referer", "")
    list_url = reverse("customers:list")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return list_url


@login_required
@require_POST
def customer_reassign(request: HttpRequest) -> HttpResponse:
    if not can_manage(request.user):
        raise PermissionDenied
    form = BulkReassignForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back_to_list(request))
    ids = form.cleaned_data["ids"]
    to_owner = form.cleaned_data["to_owner"]
    try:
        moved = services.customers_reassign(
            user=request.user,
            customer_ids=ids,
            to_owner=to_owner,
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied:
        messages.error(
            request,
            _("Some selected customers are out of your reach or gone; nothing was reassigned."),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext(
                "%(moved)d of %(selected)d selected customer reassigned to %(owner)s.",
                "%(moved)d of %(selected)d selected customers reassigned to %(owner)s.",
                len(ids),
            )
            % {"moved": moved, "selected": len(ids), "owner": to_owner},
        )
    return redirect(_back_to_list(request))


@login_required
@require_GET
def customer_export(request: HttpRequest) -> HttpResponse:
    """The list as it is filtered, as CSV or XLSX (`format=xlsx`); `lang` picks the headers."""
    from guanxi.dataio.exports import CSV, XLSX
    from guanxi.dataio.views_export import export_response

    listing = customer_listing(request)
    if listing.errors:
        for error in listing.errors:
            messages.error(request, error)
        return redirect(reverse("customers:list"))
    fmt = XLSX if request.GET.get("format") == XLSX else CSV
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = ""
    filters = {k: v for k, v in request.GET.items() if k in listing.filterset.form.fields}
    return export_response(
        request, spec=CUSTOMER_EXPORT, filters=filters, fmt=fmt, language=language
    )


@login_required
@require_GET
def customer_autocomplete(request: HttpRequest) -> JsonResponse:
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse([], safe=False)
    rows = (
        search_customers(selectors.visible_customers(request.user), query)
        .order_by("name", "id")
        .values("id", "number", "name")[:AUTOCOMPLETE_LIMIT]
    )
    return JsonResponse(list(rows), safe=False)


# --- create / edit -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(user=request.user, data=form.service_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Customer %(name)s created as %(number)s.")
                % {"name": customer.name, "number": customer.number},
            )
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    conflict = None
    if request.method != "POST":
        form = CustomerEditForm(
            instance=customer, initial={"version": customer.version}, user=request.user
        )
        return render(request, "customers/customer_form.html", {"form": form, "customer": customer})
    # The form works on a copy: validation writes into its instance, the service
    # must see the stored values (e.g. the current owner, to log a reassignment).
    form = CustomerEditForm(request.POST, instance=copy.deepcopy(customer), user=request.user)
    if form.is_valid():
        try:
            services.customer_update(
                user=request.user,
                customer=customer,
                version=form.cleaned_data["version"],
                data=form.service_data(),
            )
        except ConflictError as err:
            fresh = selectors.customer_get(request.user, pk)
            conflict = {"message": str(err), "rows": conflict_rows(form, err.current, fresh)}
            form = rebind_with_version(form, err.current_version)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": customer, "conflict": conflict},
        status=409 if conflict else 200,
    )


# --- soft delete, trash, restore ---------------------------------------------


def _trash(user) -> QuerySet[Customer]:
    """Deleted customers the user could see if they were alive."""
    qs = Customer.objects.deleted()
    q = customer_visibility_q(user)
    return qs if q is None else qs.filter(q)


@login_required
@require_POST
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(request.user, pk)
    services.customer_soft_delete(user=request.user, customer=customer)
    messages.success(
        request,
        _("Customer %(name)s moved to the trash. You can restore it from there.")
        % {"name": customer.name},
    )
    return redirect("customers:list")


@login_required
@require_GET
def customer_trash(request: HttpRequest) -> HttpResponse:
    qs = _trash(request.user).select_related("owner", "deleted_by").order_by("-deleted_at", "-id")
    page = keyset_page(qs, request.GET.get("cursor") or None, size=PAGE_SIZE)
    return render(request, "customers/trash.html", {"page": page})


@login_required
@require_POST
def customer_restore(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(_trash(request.user), pk=pk)
    services.customer_restore(user=request.user, customer=customer)
    messages.success(request, _("Customer %(name)s restored.") % {"name": customer.name})
    return redirect("customers:detail", pk=customer.pk)
