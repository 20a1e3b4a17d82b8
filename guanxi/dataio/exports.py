"""One streamed exporter for every list: CSV (UTF-8 with BOM) or XLSX (constant memory).

An export is a visibility-filtered queryset plus a column spec. Rows are read with
`values_list(...).iterator()` in chunks, never as model instances and never all at
once, so 1M rows cost the memory of one chunk. Headers and choice labels are resolved
once, in the language asked for (or the user's), before the first row is written.

Formula injection: a spreadsheet runs a cell starting with = + - @ (and some run one
starting with a tab or carriage return). Every *text* cell starting with one of these
gets a leading apostrophe, in CSV and XLSX alike (an XLSX string cell is never run,
but the file may be re-saved as CSV). Numbers and dates come from typed columns and
cannot carry a formula, so they are written as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV = "csv"
XLSX = "xlsx"
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000
XLSX_MAX_ROWS = 1_048_575  # per sheet, below the header row; more rows go to a new sheet


def sync_max_rows(fmt: str = "csv") -> int:
    """Above this many rows an export runs as a background job.

    Settings EXPORT_SYNC_MAX_ROWS (CSV, default 50,000 — a few seconds of streaming) and
    EXPORT_SYNC_MAX_ROWS_XLSX (default 10,000: XlsxWriter writes ~5–10k rows/s here,
    and a workbook cannot be sent before it is complete).
    """
    if fmt == "xlsx":
        return int(getattr(settings, "EXPORT_SYNC_MAX_ROWS_XLSX", 10_000))
    return int(getattr(settings, "EXPORT_SYNC_MAX_ROWS", 50_000))


def safe_cell(value: Any) -> str:
    """Text for one cell; a leading apostrophe disarms anything a spreadsheet would run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# --- column specs ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One exported column: the `values_list` paths it reads and how they become a cell.

    `header` is a lazy msgid (or a callable giving one), resolved in the export's language.
    Its converter (built per export by `prepare`, so that choice labels are looked up
    once) turns the fetched values into a safe cell: text, number or "".
    """

    header: Promise | str | Callable[[], str]
    fields: tuple[str, ...]
    kind: str = "text"  # text | choice | datetime | date | number | bool | user | custom
    choices: Sequence[tuple[str, Any]] = ()
    custom: Callable[..., Any] | None = None

    def header_text(self) -> str:
        header = self.header() if callable(self.header) else self.header
        return capfirst(str(header))


def user_col(header, prefix: str) -> Column:
    """A user shown as on screen: display name, else full name, else username."""
    paths = ("display_name", "first_name", "last_name", "username")
    return Column(header=header, fields=tuple(f"{prefix}__{p}" for p in paths), kind="user")


def user_label(display: str | None, first: str | None, last: str | None, username: str | None):
    if display:
        return display
    full = f"{first or ''} {last or ''}".strip()
    return full or username or ""


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _text(value: Any) -> str:
    """A text cell, neutralised here once, so that writers pass cells through untouched."""
    if not value:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _converter(column: Column) -> Callable[..., Any]:
    """A fast per-row function for the column, with labels resolved now.

    Every converter yields a safe cell: text is neutralised (`_text`), choice labels and
    dates come from us, numbers are numbers.
    """
    kind = column.kind
    if kind == "choice":
        labels = {k: str(v) for k, v in column.choices}
        return lambda v: labels[v] if v in labels else _text(v)
    if kind == "datetime":
        return _when
    if kind == "date":
        return lambda v: v.isoformat() if v else ""
    if kind == "number":
        return lambda v: v
    if kind == "bool":
        yes, no = _("Yes"), _("No")
        return lambda v: yes if v else no
    if kind == "user":
        return lambda *names: _text(user_label(*names))
    if kind == "custom" and column.custom is not None:
        custom = column.custom
        return lambda *values: _text(custom(*values))
    return _text


@dataclass
class Prepared:
    """Headers, fields and converters of one export, resolved in one language."""

    headers: list[str]
    fields: list[str]
    converters: list[tuple[Callable[..., Any], int, int]]  # (convert, start, stop) into a row

    def cells(self, row: tuple) -> list[Any]:
        return [convert(*row[start:stop]) for convert, start, stop in self.converters]


@dataclass(frozen=True)
class ExportSpec:
    """What one export kind is: label, columns, and how to get the visible rows.

    `rows(user, filters)` returns the visibility-filtered, ordered queryset; `filters`
    is a plain dict (kept in the job's parameters for background runs). `enrich(ids)`
    optionally adds cells per chunk from one extra query (e.g. a customer's tags):
    it gets the chunk's primary keys and returns {pk: [cells...]} for `extra_headers`.
    """

    kind: str
    label: Promise | str
    columns: tuple[Column, ...]
    rows: Callable[[Any, dict], QuerySet]
    enrich: Callable[[list[int]], dict[int, list[Any]]] | None = None
    extra_headers: tuple[Promise | str, ...] = ()

    def prepare(self, language: str | None = None) -> Prepared:
        prepared = prepare(self.columns, language)
        with translation.override(language) if language else nullcontext():
            prepared.headers += [capfirst(str(h)) for h in self.extra_headers]
        return prepared

    def sheet_name(self, language: str | None = None) -> str:
        with translation.override(language) if language else nullcontext():
            return sheet_title(capfirst(str(self.label)))


def prepare(columns: Sequence[Column], language: str | None = None) -> Prepared:
    with translation.override(language) if language else nullcontext():
        headers = [c.header_text() for c in columns]
        fields: list[str] = []
        converters = []
        for c in columns:
            start = len(fields)
            fields.extend(c.fields)
            converters.append((_converter(c), start, len(fields)))
    return Prepared(headers=headers, fields=fields, converters=converters)


# --- reading -------------------------------------------------------------------


def iter_cells(
    queryset: QuerySet,
    prepared: Prepared,
    *,
    enrich: Callable[[list[int]], dict[int, list[Any]]] | None = None,
    extra: int = 0,
    chunk: int = CHUNK,
) -> Iterator[list[list[Any]]]:
    """Chunks of converted rows (lists of cells), in the queryset's order.

    `values_list().iterator()` reads through a server-side cursor on PostgreSQL and
    `fetchmany` on SQLite: memory holds one chunk, whatever the export's size.
    """
    fields = prepared.fields + (["pk"] if enrich else [])
    rows = queryset.values_list(*fields).iterator(chunk_size=chunk)
    blank = [""] * extra
    while batch := list(islice(rows, chunk)):
        cells = [prepared.cells(row) for row in batch]
        if enrich is not None:
            more = {
                pk: [_text(v) for v in extra_cells]
                for pk, extra_cells in enrich([row[-1] for row in batch]).items()
            }
            cells = [c + more.get(row[-1], blank) for c, row in zip(cells, batch, strict=True)]
        yield cells


def spec_cells(
    spec: ExportSpec, queryset: QuerySet, prepared: Prepared
) -> Iterator[list[list[Any]]]:
    return iter_cells(queryset, prepared, enrich=spec.enrich, extra=len(spec.extra_headers))


# --- writing -------------------------------------------------------------------


def csv_stream(
    headers: Sequence[str],
    chunks: Iterable[list[list[Any]]],
    *,
    on_chunk: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """CSV text, one piece per chunk (a few hundred KB, not one write per row).

    Cells come from `iter_cells`, already safe (text neutralised, None as "").
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in headers])
    yield BOM + buffer.getvalue()
    done = 0
    for rows in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        done += len(rows)
        if on_chunk is not None:
            on_chunk(done)
        yield buffer.getvalue()


def xlsx_write(
    target: str | os.PathLike,
    headers: Sequence[str],
    chunks: Iterable[list[list[Any]]],
    *,
    sheet_name: str = "Sheet",
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Write an XLSX file row by row (XlsxWriter constant_memory: one row in memory).

    Text cells go through `write_string` (never a formula) after `safe_cell`;
    numbers through `write_number`. Returns the number of data rows.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(target), {"constant_memory": True, "strings_to_formulas": False}
    )
    try:
        bold = workbook.add_format({"bold": True})
        sheet_no = 0
        sheet = None
        row_no = XLSX_MAX_ROWS + 1
        done = 0

        def new_sheet():
            nonlocal sheet_no
            sheet_no += 1
            name = sheet_name[:28] if sheet_no == 1 else f"{sheet_name[:24]} ({sheet_no})"
            ws = workbook.add_worksheet(name)
            for i, h in enumerate(headers):
                ws.write_string(0, i, safe_cell(h), bold)
            ws.freeze_panes(1, 0)
            return ws

        for rows in chunks:
            for row in rows:
                if row_no > XLSX_MAX_ROWS:
                    sheet = new_sheet()
                    row_no = 1
                for i, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, bool):
                        sheet.write_string(row_no, i, str(value))
                    elif isinstance(value, int | float | Decimal):
                        sheet.write_number(row_no, i, float(value))
                    else:
                        sheet.write_string(row_no, i, safe_cell(value))
                row_no += 1
            done += len(rows)
            if on_chunk is not None:
                on_chunk(done)
        if sheet is None:
            new_sheet()
    finally:
        workbook.close()
    return done


def xlsx_tempfile(
    headers: Sequence[str], chunks: Iterable[list[list[Any]]], *, sheet_name: str = "Sheet"
) -> io.BufferedReader:
    """An XLSX written to an unnamed temporary file, opened for reading (for a response)."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    try:
        xlsx_write(handle.name, headers, chunks, sheet_name=sheet_name)
        stream = open(handle.name, "rb")  # noqa: SIM115 (the response closes it)
    finally:
        # The open file stays readable on POSIX; nothing is left behind on disk.
        Path(handle.name).unlink(missing_ok=True)
    return stream


def export_filename(stem: str, fmt: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.{fmt}"


def sheet_title(text: str) -> str:
    """A valid worksheet name (no []:*?/\\, at most 31 characters)."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31] or "Sheet"


# --- running an export ---------------------------------------------------------


def export_csv_iter(spec: ExportSpec, queryset: QuerySet, language: str | None) -> Iterator[str]:
    """The CSV as pieces of text, for a StreamingHttpResponse (encoded UTF-8 by Django)."""
    # Headers and labels are resolved in `prepare`, in `language`, before the first row.
    prepared = spec.prepare(language)
    yield from csv_stream(prepared.headers, spec_cells(spec, queryset, prepared))


def export_to_file(
    spec: ExportSpec,
    queryset: QuerySet,
    fmt: str,
    language: str | None,
    path: Path,
    *,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Write the whole export to `path`; returns the number of data rows."""
    prepared = spec.prepare(language)
    cells = spec_cells(spec, queryset, prepared)
    if fmt == XLSX:
        return xlsx_write(
            path, prepared.headers, cells, sheet_name=spec.sheet_name(language), on_chunk=on_chunk
        )
    done = 0

    def count(n: int) -> None:
        nonlocal done
        done = n
        if on_chunk is not None:
            on_chunk(n)

    with open(path, "w", encoding="utf-8", newline="") as out:
        for piece in csv_stream(prepared.headers, cells, on_chunk=count):
            out.write(piece)
    return done


def export_specs() -> dict[str, ExportSpec]:
    """Every exportable list, by kind (imported lazily: the specs import the apps' models)."""
    from guanxi.customers.export import CUSTOMER_EXPORT

    return {CUSTOMER_EXPORT.kind: CUSTOMER_EXPORT, **{s.kind: s for s in _child_exports()}}


def export_job_create(*, user, kind: str, fmt: str, language: str, filters: dict):
    """A queued export job; its rows are chosen again, for its user, when it runs."""
    from .jobs import job_create
    from .models import JobKind

    spec = export_specs()[kind]
    with translation.override(language):
        title = f"{capfirst(str(spec.label))} · {fmt.upper()}"
    return job_create(
        user=user,
        kind=JobKind.EXPORT,
        title=title,
        params={"kind": kind, "format": fmt, "language": language, "filters": filters},
    )


def export_job_run(job) -> Any:
    """Run a queued export job: the file lands in JOBS_DIR, the job links to it."""
    from .jobs import job_run
    from .models import Job
    from .progress import jobs_dir

    params = job.params
    spec = export_specs()[params["kind"]]
    fmt = params.get("format", CSV)
    language = params.get("language") or settings.LANGUAGE_CODE
    # The visibility rule is applied now, for the job's user, not when it was queued.
    queryset = spec.rows(job.user, params.get("filters") or {})
    total = queryset.count()
    name = f"export-{job.pk}-{export_filename(spec.kind, fmt)}"
    path = jobs_dir() / name

    def work(reporter) -> dict[str, Any]:
        try:
            rows = export_to_file(
                spec, queryset, fmt, language, path, on_chunk=lambda n: reporter.report(n)
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        reporter.report(rows, force=True)
        Job.objects.filter(pk=job.pk).update(output_file=name)
        return {"rows": rows, "file": name}

    return job_run(job, work, total=total)


# --- the lists hanging off customers ----------------------------------------------


def field_col(model, path: str, kind: str | None = None) -> Column:
    """A column named after the model field at `path` (its verbose name, lazily)."""
    *hops, last = path.split("__")
    target = model
    for hop in hops:
        target = target._meta.get_field(hop).related_model
    f = target._meta.get_field(last)
    if kind is None:
        if f.choices:
            kind = "choice"
        elif f.get_internal_type() == "DateTimeField":
            kind = "datetime"
        elif f.get_internal_type() == "DateField":
            kind = "date"
        elif f.get_internal_type() == "BooleanField":
            kind = "bool"
        elif f.get_internal_type() in ("DecimalField", "IntegerField", "PositiveIntegerField"):
            kind = "number"
        else:
            kind = "text"
    return Column(header=lambda: f.verbose_name, fields=(path,), kind=kind, choices=f.choices or ())


def _child_exports() -> list[ExportSpec]:
    from guanxi.customers import selectors
    from guanxi.customers.models import Contact, Interaction, Need, Order

    def customer_cols(model) -> tuple[Column, ...]:
        return (field_col(model, "customer__number"), field_col(model, "customer__name"))

    def rows(select):
        # select_related(None): values_list reads only the columns asked for.
        return lambda user, filters: select(user).select_related(None).order_by("id")

    return [
        ExportSpec(
            kind="contacts",
            label=Contact._meta.verbose_name_plural,
            rows=rows(selectors.visible_contacts),
            columns=(
                *customer_cols(Contact),
                *(
                    field_col(Contact, f)
                    for f in (
                        "name",
                        "title",
                        "phone",
                        "email",
                        "wechat",
                        "decision_role",
                        "is_key_person",
                        "preferences",
                        "notes",
                        "created_at",
                    )
                ),
            ),
        ),
        ExportSpec(
            kind="interactions",
            label=Interaction._meta.verbose_name_plural,
            rows=rows(selectors.visible_interactions),
            columns=(
                *customer_cols(Interaction),
                field_col(Interaction, "occurred_at"),
                field_col(Interaction, "channel"),
                field_col(Interaction, "content_type"),
                Column(
                    header=lambda: Interaction._meta.get_field("contact").verbose_name,
                    fields=("contact__name",),
                ),
                field_col(Interaction, "summary"),
                field_col(Interaction, "feedback"),
                field_col(Interaction, "next_action"),
                field_col(Interaction, "next_action_due"),
                user_col(Interaction._meta.get_field("owner").verbose_name, "owner"),
            ),
        ),
        ExportSpec(
            kind="orders",
            label=Order._meta.verbose_name_plural,
            rows=rows(selectors.visible_orders),
            columns=(
                *customer_cols(Order),
                *(
                    field_col(Order, f)
                    for f in (
                        "number",
                        "ordered_on",
                        "amount",
                        "gross_margin",
                        "product_line",
                        "quantity",
                    )
                ),
            ),
        ),
        ExportSpec(
            kind="needs",
            label=Need._meta.verbose_name_plural,
            rows=rows(selectors.visible_needs),
            columns=(
                *customer_cols(Need),
                *(
                    field_col(Need, f)
                    for f in ("description", "urgency", "importance", "status", "matched_solution")
                ),
                user_col(Need._meta.get_field("owner").verbose_name, "owner"),
                field_col(Need, "expected_finish"),
                field_col(Need, "actual_finish"),
            ),
        ),
    ]
