"""The import pipeline: file → mapped, converted rows → per-kind upsert, in batches.

`import_file` streams the file in batches of `BATCH` rows, so memory does not grow
with the file. A dry run writes nothing. A real run holds one transaction: a crash,
a cancel (the reporter raises) or — by default — any row error rolls everything
back. With `valid_only` the valid rows are written and the others reported.
After a real run commits, scores and next follow-ups are recomputed once:
per customer for a small import, set-based for everyone for a large one.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.visibility import reachable_owner_ids_q
from guanxi.customers.matching import keys_backfill

from .mapping import IGNORE, NOTES, ColumnMap, Target, targets
from .progress import Reporter
from .readers import open_table
from .upsert import TOUCHED_CAP, Context, CustomerHandler, Handler
from .validate import RowConverter, choice_lookup  # noqa: F401  (re-exported for views)

BATCH = 5000
PREVIEW_ROWS = 20
KEPT_ERRORS = 50_000  # listed in the report; beyond that only counted
KEPT_WARNINGS = 10_000
SQLITE_CACHE_MB = 64


class _Rollback(Exception):
    pass


@dataclass
class ImportOptions:
    kind: str
    columns: list[ColumnMap]
    key: str
    dry_run: bool = True
    valid_only: bool = False
    encoding: str | None = None
    default_owner_id: int | None = None
    reason: str = "import"
    batch: int = BATCH
    refresh: bool = True  # recompute scores and follow-ups after a real run (bench: off)
    owner_rules: list[tuple[int, str, int]] = field(default_factory=list)  # parse_owner_rules


@dataclass
class ImportResult:
    kind: str
    counts: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0, "error": 0}
    )
    rows: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    written: bool = False
    rolled_back: bool = False
    seconds: float = 0.0
    encoding: str = ""
    _error_rows: set[int] = field(default_factory=set, repr=False)
    _display: Any = field(default=None, repr=False)

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append((row, column, message))
        if row not in self._error_rows:
            self._error_rows.add(row)
            self.counts["error"] += 1
            if len(self.preview) < PREVIEW_ROWS:
                self.preview.append({"row": row, "action": "error", "values": {}, "errors": []})
        for item in self.preview:
            if item["row"] == row:
                item["errors"].append(f"{column}: {message}" if column else message)

    def add_warning(self, row: int, column: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < KEPT_WARNINGS:
            self.warnings.append((row, column, message))

    def count(self, row: int, action: str, values: dict) -> None:
        self.counts[action] += 1
        if len(self.preview) < PREVIEW_ROWS:
            shown = self._display(values) if self._display else {}
            self.preview.append({"row": row, "action": action, "values": shown, "errors": []})

    def preview_room(self) -> int:
        """How many more rows the preview shows."""
        return max(0, PREVIEW_ROWS - len(self.preview))

    def count_many(
        self, action: str, rows: list[tuple[int, dict]], total: int | None = None
    ) -> None:
        """`count` for many rows of one action; `total` rows when only the first are given
        (those the preview still shows, `preview_room`)."""
        self.counts[action] += len(rows) if total is None else total
        for row, values in rows[: max(0, PREVIEW_ROWS - len(self.preview))]:
            shown = self._display(values) if self._display else {}
            self.preview.append({"row": row, "action": action, "values": shown, "errors": []})

    def new_batch(self) -> None:
        self._error_rows.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "counts": self.counts,
            "rows": self.rows,
            "errors": [list(e) for e in self.errors[:500]],
            "warnings": [list(w) for w in self.warnings[:500]],
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "preview": self.preview,
            "written": self.written,
            "rolled_back": self.rolled_back,
            "seconds": round(self.seconds, 3),
            "encoding": self.encoding,
        }


def users_index() -> tuple[dict[str, int], dict[int, str]]:
    """Active users by folded username and display name; and id → username."""
    from .mapping import fold

    by_name: dict[str, int] = {}
    names: dict[int, str] = {}
    rows = User.objects.filter(is_active=True).values_list("pk", "username", "display_name")
    for pk, username, display in rows:
        names[pk] = username
        by_name.setdefault(fold(username), pk)
        if display:
            by_name.setdefault(fold(display), pk)
    return by_name, names


def assignable_owner_ids(user: User) -> set[int]:
    """Whose book `user` may import into: own; a manager's team; everyone for directors."""
    return set(
        User.objects.filter(is_active=True)
        .filter(reachable_owner_ids_q(user))
        .values_list("pk", flat=True)
    )


def _displayer(kind: str, columns: list[ColumnMap], names: dict[int, str]):
    by_name = targets(kind)
    shown = [by_name[c.target] for c in columns if c.target not in (IGNORE, NOTES)]
    labels: dict[str, dict[str, str]] = {}
    for t in shown:
        if t.choices is not None:
            labels[t.name] = {v: str(label) for v, label in t.choices.choices}

    def show(t: Target, value) -> str:
        if t.type == "user":
            return names.get(value, "")
        if t.name in labels:
            return labels[t.name].get(value, value)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, dt.date | Decimal):
            return str(value)
        return str(value)

    def display(values: dict) -> dict[str, str]:
        out = {str(t.label): show(t, values[t.name]) for t in shown if t.name in values}
        if values.get("__notes__"):
            out[_("Notes")] = values["__notes__"]
        return out

    return display


def make_handler(ctx: Context, fields: list[str]) -> Handler:
    if ctx.kind == "customers":
        return CustomerHandler(ctx, fields)
    from .upsert_children import CHILD_HANDLERS

    return CHILD_HANDLERS[ctx.kind](ctx, fields)


def import_file(
    path: str | Path, *, user: User, options: ImportOptions, reporter: Reporter | None = None
) -> ImportResult:
    """Validate (dry run) or import `path`; see the module docstring for the rules."""
    started = time.monotonic()
    reporter = reporter or Reporter(None)
    result = ImportResult(kind=options.kind)
    keys_backfill()  # rows bulk-loaded elsewhere (demo) get their matching keys first
    by_name, names = users_index()
    result._display = _displayer(options.kind, options.columns, names)
    ctx = Context(
        user=user,
        kind=options.kind,
        key=options.key,
        dry_run=options.dry_run,
        default_owner_id=options.default_owner_id or user.pk,
        assignable=assignable_owner_ids(user),
        reason=options.reason[:100],
        result=result,
        headers={c.target: c.header for c in options.columns if c.target not in (IGNORE, NOTES)},
    )
    with open_table(path, encoding=options.encoding) as table:
        result.encoding = table.encoding
        reporter.total = table.total
        converter = RowConverter(options.kind, options.columns, by_name, options.owner_rules)
        handler = make_handler(ctx, converter.fields)
        try:
            with _sqlite_cache(), _gc_paused():
                _run(table, converter, handler, result, reporter, options)
        except _Rollback:
            result.rolled_back = True
        finally:
            handler.close()
    if result.written and options.refresh:
        _refresh_derived(ctx)
    result.seconds = time.monotonic() - started
    return result


def _run(table, converter, handler, result, reporter, options) -> None:
    """One pass over the file; a real run in one transaction (see the module doc)."""
    if options.dry_run:
        _loop(table, converter, handler, result, reporter, options)
        return
    with transaction.atomic():
        _loop(table, converter, handler, result, reporter, options)
        if result.counts["error"] and not options.valid_only:
            raise _Rollback
        result.written = True


@contextmanager
def _gc_paused():
    """No automatic cyclic GC while the rows stream through; one young collection a batch.

    A batch keeps ~100,000 containers alive (cells, value dicts, row tuples), so the
    collector's allocation trigger fired over and over and its full passes walked the
    whole heap: 12 % of an orders import. The pipeline's own garbage is freed by
    reference counting; `_loop` collects the young generations once a batch, so any
    cycles (exceptions with tracebacks) are still reclaimed and memory stays bounded.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _sqlite_cache(mebibytes: int = SQLITE_CACHE_MB):
    """A larger page cache for the import's connection while it runs (SQLite only).

    SQLite's default 2 MB cache is far smaller than the indexes a million-row import
    inserts into (customer/date, number, history); every miss is a read from the OS.
    Bounded, so memory stays flat; restored afterwards.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        old = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(mebibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {old}")


def _loop(table, converter, handler, result, reporter, options) -> None:
    ctx = handler.ctx
    row_number = table.first_row
    rows = iter(table.rows)
    reporter.report(0, phase=_("checking") if options.dry_run else _("importing"), force=True)
    while True:
        chunk = list(itertools.islice(rows, options.batch))
        if not chunk:
            break
        result.new_batch()
        filled = list(map(any, chunk))  # blank lines are skipped, their numbers kept
        numbers = range(row_number, row_number + len(chunk))
        row_number += len(chunk)
        if not all(filled):
            numbers = list(itertools.compress(numbers, filled))
            chunk = list(itertools.compress(chunk, filled))
        result.rows += len(numbers)
        columns = converter.convert_columns(chunk)
        if columns is None or not handler.process_columns(numbers, columns):
            if columns is None:
                converted = [converter.convert(cells) for cells in chunk]
            else:
                converted = zip(columns.dicts(), itertools.repeat(()))
            batch = []
            for row, (values, errors) in zip(numbers, converted, strict=True):
                for column, message in errors:
                    result.add_error(row, column, message)
                if not errors:
                    batch.append((row, values))
            handler.process(batch)
            del batch
        del chunk, columns
        gc.collect(1)  # see _gc_paused
        if result.counts["error"] and not options.valid_only and not ctx.dry_run:
            ctx.dry_run = True  # all-or-nothing: stop writing, keep checking, roll back
        reporter.report(result.rows)
    handler.flush()
    reporter.report(result.rows, force=True)


def _refresh_derived(ctx: Context) -> None:
    """Scores and next follow-ups of the written customers, once, after commit."""
    from guanxi.followup.recompute import followup_refresh, followups_recompute
    from guanxi.scoring.recompute import recompute_all, recompute_customer

    if not ctx.touched_count:
        return
    if ctx.touched_count > TOUCHED_CAP:
        recompute_all(trigger="import")
        followups_recompute()
        return
    for customer_id in sorted(ctx.touched):
        recompute_customer(customer_id)
        followup_refresh(customer_id)
