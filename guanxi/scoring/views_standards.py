"""Classification standards (分类标准): versions, the editor, the impact preview and
activation. Everyone may read them; only directors and admins may change them
(the services refuse anyone else; the views answer 403 before trying)."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from . import choices, impact, selectors, services
from .classification import NOT_ASSESSED, code_label, dimension_label
from .forms import STATUS_LABELS, StandardCreateForm, status_of
from .forms_standard import StandardConfigForm, StandardJsonForm
from .models import ClassificationStandard
from .results import DIMENSIONS
from .standards import default_config

DRILL_LIMIT = 500


def can_configure(user: User) -> bool:
    return bool(user.is_superuser or user.sees_everything)


def _require_configurer(user: User) -> None:
    if not can_configure(user):
        raise PermissionDenied


def _standard(pk: int) -> ClassificationStandard:
    return get_object_or_404(ClassificationStandard, pk=pk)


def _describe(standard: ClassificationStandard, today) -> dict[str, Any]:
    status = status_of(standard)
    return {
        "obj": standard,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "review_due": status == "active"
        and standard.review_due_on is not None
        and standard.review_due_on <= today,
    }


@login_required
@require_GET
def standard_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = selectors.standards_list().select_related("created_by", "activated_by")
    standards = [_describe(s, today) for s in rows]
    context = {
        "standards": standards,
        "due": list(selectors.standards_due_for_review(today=today)),
        "last_run": selectors.last_run(),
        "can_configure": can_configure(request.user),
        "today": today,
    }
    return render(request, "scoring/standard_list.html", context)


@login_required
@require_GET
def standard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    standard = _standard(pk)
    active = selectors.standard_active()
    compare = active.config if active and active.pk != standard.pk else None
    form = StandardConfigForm(base=standard.config, compare=compare, extra_rows=False)
    context = {
        "standard": _describe(standard, timezone.localdate()),
        "active": active,
        "sections": form.layout(editable=False),
        "config_json": StandardJsonForm.dump(standard.config),
        "can_configure": can_configure(request.user),
        "copy_name": _("Draft from v%(version)s") % {"version": standard.version},
    }
    return render(request, "scoring/standard_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def standard_create(request: HttpRequest) -> HttpResponse:
    """A new draft copied from a version (by default the active one)."""
    _require_configurer(request.user)
    active = selectors.standard_active()
    initial = {
        "base": active.pk if active else None,
        "name": _("Review %(month)s") % {"month": timezone.localdate().strftime("%Y-%m")},
    }
    form = StandardCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        base = form.base_standard()
        config = base.config if base else default_config()
        try:
            draft = services.standard_create(
                user=request.user,
                name=form.cleaned_data["name"],
                notes=form.cleaned_data["notes"],
                config=config,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _(
                    "Draft v%(version)s created. Change its values, preview the impact, then "
                    "activate it."
                )
                % {"version": draft.version},
            )
            return redirect("scoring:standard_edit", pk=draft.pk)
    return render(request, "scoring/standard_create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft: the structured form, or the JSON editor (?mode=json)."""
    _require_configurer(request.user)
    standard = _standard(pk)
    if standard.activated_at is not None:
        messages.warning(
            request,
            _("v%(version)s has been in force and cannot change; create a new draft from it.")
            % {"version": standard.version},
        )
        return redirect("scoring:standard_detail", pk=standard.pk)
    mode = request.POST.get("mode") or request.GET.get("mode") or "form"
    mode = "json" if mode == "json" else "form"
    data = request.POST if request.method == "POST" else None
    active = selectors.standard_active()
    if mode == "json":
        form = StandardJsonForm(
            data,
            initial={"name": standard.name, "config": StandardJsonForm.dump(standard.config)},
        )
    else:
        form = StandardConfigForm(
            data,
            base=standard.config,
            compare=active.config if active else None,
            initial={"name": standard.name},
        )
    if data is not None and form.is_valid():
        config = form.cleaned_data["config"] if mode == "json" else form.config
        try:
            services.standard_update(
                user=request.user, standard=standard, config=config, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, _("Draft v%(version)s saved.") % {"version": standard.version}
            )
            return redirect("scoring:standard_detail", pk=standard.pk)
    context = {
        "standard": _describe(standard, timezone.localdate()),
        "form": form,
        "mode": mode,
        "sections": form.layout(editable=True) if mode == "form" else [],
        "config_errors": getattr(form, "config_errors", []),
    }
    status = 400 if data is not None else 200
    return render(request, "scoring/standard_edit.html", context, status=status)


def _preview_url(standard: ClassificationStandard, dim: str, pair: tuple[str, str]) -> str:
    query = urlencode(
        {"dimension": dim, "from": pair[0] or NOT_ASSESSED, "to": pair[1] or NOT_ASSESSED}
    )
    return reverse("scoring:standard_preview_customers", kwargs={"pk": standard.pk}) + "?" + query


def _impact_tables(standard: ClassificationStandard, result: impact.Impact) -> list[dict]:
    tables = []
    for dim in DIMENSIONS:
        counts = result.counts.get(dim, {})
        if not counts:
            continue
        used = {code for pair in counts for code in pair}
        codes = [c for c in choices.DIMENSION_CHOICES[dim].values if c in used] + (
            [""] if "" in used else []
        )
        rows = []
        for f in codes:
            cells = []
            for t in codes:
                n = counts.get((f, t), 0)
                moved = f != t and n > 0
                cells.append(
                    {
                        "count": n,
                        "moved": moved,
                        "stay": f == t,
                        "url": _preview_url(standard, dim, (f, t)) if moved else "",
                    }
                )
            rows.append({"label": code_label(dim, f), "cells": cells})
        moves = sorted(
            ((pair, len(ids)) for pair, ids in result.moves.get(dim, {}).items()),
            key=lambda item: -item[1],
        )
        sentences = [
            {
                "text": ngettext(
                    "%(count)s customer would move from %(from)s to %(to)s",
                    "%(count)s customers would move from %(from)s to %(to)s",
                    n,
                )
                % {"count": f"{n:,}", "from": code_label(dim, f), "to": code_label(dim, t)},
                "url": _preview_url(standard, dim, (f, t)),
            }
            for (f, t), n in moves
        ]
        tables.append(
            {
                "dimension": dim,
                "label": dimension_label(dim),
                "codes": [code_label(dim, c) for c in codes],
                "rows": rows,
                "moved": result.moved(dim),
                "sentences": sentences,
            }
        )
    return tables


@login_required
@require_GET
def standard_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What activating this version would change, before anything is written."""
    _require_configurer(request.user)
    standard = _standard(pk)
    if standard.is_active:
        messages.info(request, _("This standard is already in force."))
        return redirect("scoring:standard_detail", pk=standard.pk)
    result = impact.standard_impact(user=request.user, candidate=standard)
    tables = _impact_tables(standard, result)
    context = {
        "standard": _describe(standard, timezone.localdate()),
        "active": selectors.standard_active(),
        "impact": result,
        "tables": [t for t in tables if t["moved"]],
        "unchanged": [t["label"] for t in tables if not t["moved"]],
    }
    return render(request, "scoring/standard_preview.html", context)


@login_required
@require_GET
def standard_preview_customers(request: HttpRequest, pk: int) -> HttpResponse:
    """Drill-down of one cell of the preview: the visible customers that would move."""
    _require_configurer(request.user)
    standard = _standard(pk)
    dim = request.GET.get("dimension", "")
    pair = tuple(
        "" if request.GET.get(k, "") == NOT_ASSESSED else request.GET.get(k, "")
        for k in ("from", "to")
    )
    if dim not in DIMENSIONS:
        return render(request, "400.html", status=400)
    ids = impact.moved_customer_ids(user=request.user, candidate=standard, dimension=dim, pair=pair)
    customers = (
        Customer.objects.visible_to(request.user)
        .filter(pk__in=ids[:DRILL_LIMIT])
        .select_related("owner")
        .order_by("number")
    )
    context = {
        "title": _("%(dimension)s: %(from)s → %(to)s")
        % {
            "dimension": dimension_label(dim),
            "from": code_label(dim, pair[0]),
            "to": code_label(dim, pair[1]),
        },
        "subtitle": _("Customers that would move if v%(version)s were activated.")
        % {"version": standard.version},
        "back_url": reverse("scoring:standard_preview", kwargs={"pk": standard.pk}),
        "back_label": _("Back to the preview"),
        "columns": [_("From"), _("To")],
        "rows": [
            {"customer": c, "cells": [code_label(dim, pair[0]), code_label(dim, pair[1])]}
            for c in customers
        ],
        "count": len(ids),
        "truncated": len(ids) > DRILL_LIMIT,
        "limit": DRILL_LIMIT,
        "section": "standards",
    }
    return render(request, "scoring/customer_list.html", context)


@login_required
@require_POST
def standard_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the version in force: every customer is re-tiered and each move recorded
    with the cause "new standard"."""
    _require_configurer(request.user)
    standard = _standard(pk)
    if standard.is_active:
        messages.info(request, _("This standard is already in force."))
        return redirect("scoring:standard_detail", pk=standard.pk)
    try:
        summary = services.standard_activate(user=request.user, standard=standard)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scoring:standard_detail", pk=standard.pk)
    messages.success(
        request,
        _(
            "v%(version)s is now in force: %(customers)s customers re-scored, %(changes)s changes "
            "recorded."
        )
        % {
            "version": standard.version,
            "customers": f"{summary.customers:,}" if summary else 0,
            "changes": f"{summary.changes:,}" if summary else 0,
        },
    )
    return redirect("scoring:standard_detail", pk=standard.pk)
