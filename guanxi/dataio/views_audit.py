"""Change history pages: the merged list (filters, per user) and one record's versions."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .audit import (
    AUDIT_MODELS,
    AuditFilters,
    audit_page,
    audit_users,
    model_choices,
    record_history,
)
from .forms_data import AuditFilterForm


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    users = audit_users(request.user)
    form = AuditFilterForm(request.GET or None, models=model_choices(), users=users)
    filters = AuditFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = AuditFilters(
            date_from=data["date_from"],
            date_to=data["date_to"],
            model=data["model"],
            action=data["action"],
            actor=data["user"],
        )
    entries, next_cursor = audit_page(request.user, filters, request.GET.get("cursor"))
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "dataio/audit.html",
        {
            "form": form,
            "entries": entries,
            "next_cursor": next_cursor,
            "query": query.urlencode(),
            "paged": "cursor" in request.GET,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_GET
def audit_record(request: HttpRequest, model: str, pk: int) -> HttpResponse:
    if model not in AUDIT_MODELS:
        raise Http404
    entries = record_history(request.user, model, pk)
    if not entries:
        raise Http404  # missing, or out of the caller's reach: the same answer
    return render(
        request,
        "dataio/audit_record.html",
        {"entries": entries, "latest": entries[-1], "model_key": model},
    )
