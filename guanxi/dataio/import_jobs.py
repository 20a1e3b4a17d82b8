"""Imports as Jobs: options kept in `Job.params`, the run, and the error report file.

The web pages and the Huey task both go through `import_job_run`, so a preview
(dry run) and the confirmed import run the very same pipeline.

params: {"kind", "key", "encoding", "valid_only", "dry_run", "default_owner_id",
"columns": [{"header", "target", "unit"}], "language", "original_name"}
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.translation import gettext as _

from .importing import ImportOptions, ImportResult, import_file
from .jobs import job_create, job_run
from .mapping import ColumnMap
from .models import Job, JobKind
from .progress import Reporter, jobs_dir

UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
SYNC_PREVIEW_ROWS = 20_000  # smaller files are checked within the request


def save_upload(upload: UploadedFile) -> str:
    """Store an uploaded file under JOBS_DIR/imports/; returns its relative path."""
    suffix = Path(upload.name or "").suffix.lower()
    relative = f"imports/{uuid.uuid4().hex}{suffix}"
    target = jobs_dir() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return relative


def input_path(job: Job) -> Path:
    return jobs_dir() / job.input_file


def columns_from_params(params: dict[str, Any]) -> list[ColumnMap]:
    return [
        ColumnMap(
            i, c["header"], c.get("target", ""), Decimal(c["unit"]) if c.get("unit") else None
        )
        for i, c in enumerate(params.get("columns", []))
    ]


def options_from_params(job: Job) -> ImportOptions:
    p = job.params
    return ImportOptions(
        kind=p["kind"],
        columns=columns_from_params(p),
        key=p["key"],
        dry_run=bool(p.get("dry_run", True)),
        valid_only=bool(p.get("valid_only")),
        encoding=p.get("encoding") or None,
        default_owner_id=p.get("default_owner_id"),
        reason=f"import #{job.pk}",
        owner_rules=[tuple(rule) for rule in p.get("owner_rules", [])],
    )


def write_error_report(job_id: int, result: ImportResult) -> str:
    """errors and warnings as .xlsx (constant memory); returns the path under JOBS_DIR."""
    relative = f"import-{job_id}-report.xlsx"
    book = xlsxwriter.Workbook(str(jobs_dir() / relative), {"constant_memory": True})
    sheet = book.add_worksheet(_("Errors"))
    bold = book.add_format({"bold": True})
    for col, title in enumerate([_("Row"), _("Column"), _("Message"), _("Severity")]):
        sheet.write(0, col, title, bold)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 20)
    sheet.set_column(2, 2, 70)
    line = 1
    for severity, items in ((_("error"), result.errors), (_("warning"), result.warnings)):
        for row, column, message in items:
            sheet.write_number(line, 0, row)
            sheet.write_string(line, 1, column)
            sheet.write_string(line, 2, message)
            sheet.write_string(line, 3, severity)
            line += 1
    book.close()
    return relative


def import_job_create(*, user, draft: Job, dry_run: bool) -> Job:
    """A preview or import job for the draft's file and mapping."""
    params = {"draft_id": draft.pk, **draft.params, "dry_run": dry_run}
    kind_label = params.get("kind", "")
    title = f"{params.get('original_name', '')} ({kind_label})"[:200]
    return job_create(
        user=user, kind=JobKind.IMPORT, title=title, params=params, input_file=draft.input_file
    )


def import_job_run(job_id: int) -> Job:
    """Run the job's import (or dry run) with progress, and attach the error report."""
    job = Job.objects.select_related("user").get(pk=job_id)
    language = job.params.get("language") or settings.LANGUAGE_CODE

    def work(reporter: Reporter) -> dict[str, Any]:
        with translation.override(language):
            result = import_file(
                input_path(job), user=job.user, options=options_from_params(job), reporter=reporter
            )
            data = result.to_json()
            if not job.params.get("dry_run", True):
                # the job page lists the result; rows and messages are in the report file
                for key in ("preview", "errors", "warnings"):
                    data.pop(key, None)
            if result.errors or result.warnings:
                report = write_error_report(job.pk, result)
                Job.objects.filter(pk=job.pk).update(output_file=report)
        return data

    return job_run(job, work)
