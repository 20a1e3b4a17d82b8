"""Import pages: upload → mapping → preview (dry run) → confirm → the job's progress page.

Thin views: the pipeline lives in importing.py, the job glue in import_jobs.py. The
upload creates a draft Job (status queued, never run) that carries the file and the
mapping; the preview and the import are Jobs of their own, run by the same code.
Every job is scoped to its user (`jobs_visible_to`): another user's id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms_import import ImportMappingForm, ImportUploadForm
from .import_jobs import (
    SYNC_PREVIEW_ROWS,
    columns_from_params,
    import_job_create,
    import_job_run,
    input_path,
    save_upload,
)
from .jobs import job_create, jobs_visible_to
from .mapping import KINDS, apply_saved, auto_map, signature
from .models import ImportProfile, JobKind, JobStatus
from .progress import progress_read
from .readers import ReadError, open_table
from .tasks_import import import_job_task


def _job(request: HttpRequest, pk: int):
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk, kind=JobKind.IMPORT)
    if job.user_id != request.user.pk:
        raise Http404  # admins see every job in the list, but import only their own
    return job


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        draft = job_create(
            user=request.user,
            kind=JobKind.IMPORT,
            title=_("Draft: %(name)s") % {"name": upload.name[:150]},
            params={
                "stage": "draft",
                "kind": form.cleaned_data["kind"],
                "encoding": form.cleaned_data["encoding"],
                "original_name": upload.name[:150],
            },
            input_file=save_upload(upload),
        )
        return redirect("dataio:import_mapping", pk=draft.pk)
    return render(request, "dataio/import_upload.html", {"form": form, "kinds": KINDS})


@login_required
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _job(request, pk)
    params = draft.params
    kind = params.get("kind", "customers")
    try:
        with open_table(input_path(draft), encoding=params.get("encoding") or None) as table:
            header, encoding, total = table.header, table.encoding, table.total
            sample = [next(table.rows, []) for _i in range(3)]
    except (ReadError, OSError) as exc:
        messages.error(request, str(exc))
        return redirect("dataio:import")
    source = signature(header)
    profile = (
        ImportProfile.objects.filter(user=request.user, kind=kind, signature=source)
        .order_by("-updated_at")
        .first()
    )
    if params.get("columns"):
        columns = columns_from_params(params)
    elif profile:
        columns = apply_saved(header, kind, profile.mapping)
    else:
        columns = auto_map(header, kind)
    initial = {
        "key": (profile.options.get("key") if profile else None) or params.get("key"),
        "owner_rules": params.get("owner_rules_text")
        or (profile.options.get("owner_rules_text") if profile else None),
    }
    form = ImportMappingForm(
        request.POST or None,
        user=request.user,
        kind=kind,
        columns=columns,
        initial={k: v for k, v in initial.items() if v},
    )
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data.get("default_owner")
        draft.params = {
            **params,
            "key": form.cleaned_data["key"],
            "valid_only": form.cleaned_data["valid_only"],
            "default_owner_id": owner.pk if owner else request.user.pk,
            "columns": [c.to_json() for c in form.mapped_columns()],
            "owner_rules": form.parsed_rules,
            "owner_rules_text": form.cleaned_data.get("owner_rules", ""),
            "language": get_language(),
            "total": total,
        }
        draft.save(update_fields=["params"])
        form.save_profile(source)
        preview = import_job_create(user=request.user, draft=draft, dry_run=True)
        if total <= SYNC_PREVIEW_ROWS:
            import_job_run(preview.pk)
        else:
            import_job_task(preview.pk)
        return redirect("dataio:import_preview", pk=preview.pk)
    context = {
        "draft": draft,
        "form": form,
        "kind_label": KINDS.get(kind, kind),
        "profile": profile,
        "encoding": encoding,
        "total": total,
        "sample": _columns_of(sample, len(header)),
    }
    return render(request, "dataio/import_mapping.html", context)


def _columns_of(rows: list[list], width: int) -> list[list[str]]:
    """Sample rows turned into one list of values per column (for the mapping table)."""
    return [
        [str(r[i]) for r in rows if i < len(r) and r[i] not in (None, "")] for i in range(width)
    ]


@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    preview = _job(request, pk)
    if not preview.params.get("dry_run"):
        return redirect("dataio:job", pk=preview.pk)
    result = preview.result or {}
    context = {
        "job": preview,
        "result": result,
        "progress": progress_read(preview.pk),
        "can_import": preview.status == JobStatus.DONE
        and (result.get("counts", {}).get("error", 0) == 0 or preview.params.get("valid_only")),
    }
    template = "dataio/_import_preview_body.html" if request.htmx else "dataio/import_preview.html"
    return render(request, template, context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    preview = _job(request, pk)
    if not preview.params.get("dry_run") or preview.status != JobStatus.DONE:
        raise Http404
    errors = (preview.result or {}).get("counts", {}).get("error", 0)
    if errors and not preview.params.get("valid_only"):
        return redirect("dataio:import_preview", pk=preview.pk)  # all or nothing
    job = import_job_create(user=request.user, draft=preview, dry_run=False)
    import_job_task(job.pk)
    return redirect("dataio:job", pk=job.pk)
