"""The Export page and the one helper every export button goes through.

Small exports stream straight back; above EXPORT_SYNC_MAX_ROWS they become a background
job (progress bar, cancel, download link on the job page).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .exports import (
    CONTENT_TYPES,
    XLSX,
    ExportSpec,
    export_csv_iter,
    export_filename,
    export_job_create,
    export_specs,
    spec_cells,
    sync_max_rows,
    xlsx_tempfile,
)
from .forms_data import ExportForm
from .jobs import jobs_visible_to
from .models import JobKind


def export_response(
    request: HttpRequest, *, spec: ExportSpec, filters: dict[str, Any], fmt: str, language: str
) -> HttpResponse:
    """Stream the export, or queue it as a job when it is large."""
    language = language or translation.get_language() or "zh-hans"
    queryset = spec.rows(request.user, filters)
    total = queryset.count()
    if total > sync_max_rows(fmt):
        from .tasks_data import export_task

        job = export_job_create(
            user=request.user, kind=spec.kind, fmt=fmt, language=language, filters=filters
        )
        export_task(job.pk)
        messages.info(
            request,
            _("%(rows)s rows: the export runs in the background; download it from here.")
            % {"rows": f"{total:,}"},
        )
        return redirect("dataio:job", pk=job.pk)
    filename = export_filename(spec.kind, fmt)
    if fmt == XLSX:
        prepared = spec.prepare(language)
        response: HttpResponse = FileResponse(
            xlsx_tempfile(
                prepared.headers,
                spec_cells(spec, queryset, prepared),
                sheet_name=spec.sheet_name(language),
            ),
            as_attachment=True,
            filename=filename,
            content_type=CONTENT_TYPES[XLSX],
        )
    else:
        response = StreamingHttpResponse(
            export_csv_iter(spec, queryset, language), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    specs = export_specs()
    form = ExportForm(request.GET or None, kinds=[(k, s.label) for k, s in specs.items()])
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return export_response(
            request,
            spec=specs[data["kind"]],
            filters={},
            fmt=data["format"],
            language=data["language"],
        )
    jobs = jobs_visible_to(request.user).filter(kind=JobKind.EXPORT, user=request.user)[:10]
    return render(
        request,
        "dataio/export.html",
        {"form": form, "jobs": jobs, "threshold": sync_max_rows()},
        status=400 if form.is_bound else 200,
    )
