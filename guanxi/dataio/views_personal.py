"""Personal-data pages (PIPL), for administrators only; everyone else gets 404."""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.customers.models import Contact

from .forms_data import EraseForm, PersonalSearchForm
from .personal_data import contact_erase, contacts_search, is_privacy_admin, personal_data


def privacy_admin_required(view):
    """404 rather than 403: the pages do not even admit to existing for others."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_privacy_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _contact(pk: int) -> Contact:
    return get_object_or_404(Contact.objects.select_related("customer"), pk=pk)


@privacy_admin_required
@require_GET
def personal_search(request: HttpRequest) -> HttpResponse:
    form = PersonalSearchForm(request.GET or None)
    contacts = []
    if form.is_bound and form.is_valid():
        contacts = list(contacts_search(request.user, form.cleaned_data["q"]))
    return render(request, "dataio/personal_search.html", {"form": form, "contacts": contacts})


@privacy_admin_required
@require_GET
def personal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(pk)
    counts = {
        "interactions": contact.interactions.count(),
        "versions": Contact.history.filter(id=contact.pk).count(),
    }
    return render(
        request,
        "dataio/personal_detail.html",
        {"contact": contact, "counts": counts, "form": EraseForm()},
    )


@privacy_admin_required
@require_GET
def personal_export(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(pk)
    data = personal_data(request.user, contact)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"personal-data-contact-{contact.pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@privacy_admin_required
@require_http_methods(["GET", "POST"])
def personal_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact_erase(user=request.user, contact=contact, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The contact's personal data was erased."))
            return redirect("dataio:personal_detail", pk=contact.pk)
    return render(
        request,
        "dataio/personal_erase.html",
        {"contact": contact, "form": form},
        status=400 if request.method == "POST" else 200,
    )
