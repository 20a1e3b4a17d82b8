"""Per-kind upsert of one batch of converted rows: classify, check, then write in bulk.

Each handler gets batches of (row number, values) and, per batch, runs a handful of
indexed `IN (...)` queries (existing records by key, visibility, duplicates), decides
per row new / updated / unchanged / error, and — unless it is a dry run — writes the
new rows with COPY/executemany (`customers.bulk.BulkWriter`), the changed ones with
one executemany UPDATE, and their simple-history rows with INSERT … SELECT.
No per-row query, no per-row service call.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.utils.translation import gettext as _

from guanxi.customers.matching import company_key, find_customer_matches, phone_key
from guanxi.customers.models import Customer, OwnershipChange
from guanxi.customers.numbering import reserve_customer_numbers

from .mapping import targets
from .sqlwrite import (
    IN_CHUNK,
    RowWriter,
    db_value,
    record_history,
    reserve_ids,
    row_value,
    update_rows,
)
from .validate import Columns

if TYPE_CHECKING:
    from .importing import ImportResult

Rows = Sequence[tuple[int, dict[str, Any]]]
OTHER_BOOK = "exists in another rep's book"
# in-file keys kept in memory (12 bytes each: ≈ 12 MB) before they are spilled to disk
SEEN_IN_MEMORY = 1 << 20
SEEN_RUN = 1 << 18  # runs are not merged beyond this: a merge's copy stays ≤ 3 MB
_NO_ROW = -1


class SeenKeys:
    """Keys met earlier in this file: in memory up to a bound, then in a throw-away file.

    Keys are kept as their 64-bit `hash()` (stable within the process that runs the
    import) with the row that first had them, in sorted numpy arrays ("runs", merged
    like a binary counter up to SEEN_RUN keys: about a dozen runs at a million keys):
    a batch is checked with one `searchsorted` per run, no Python loop per key. Past
    `memory_keys` the runs are spilled, sorted, into a rowid table of a temporary
    SQLite file, and every later batch goes there with one sorted INSERT OR IGNORE, so
    memory stays bounded however long the file is. Two different keys sharing a hash
    (odds ~1 in 10^7 at a million rows) would be reported as a duplicate, never
    silently merged.
    """

    def __init__(self, memory_keys: int = SEEN_IN_MEMORY) -> None:
        self.memory_keys = memory_keys
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, first rows)
        self.count = 0  # keys in `runs`
        self.db: sqlite3.Connection | None = None
        self._file = None

    def first_rows(self, keyed: Sequence[tuple[int, str]]) -> dict[int, int]:
        """{row: earlier row with the same key} for the rows of this batch that repeat one.

        Rows come in file order; the result is in row order.
        """
        return self.repeats([row for row, _k in keyed], [k for _r, k in keyed])

    def repeats(self, rows: Sequence[int], keys: Sequence[str]) -> dict[int, int]:
        """`first_rows` for rows and their keys given as two columns."""
        n = len(rows)
        if not n:
            return {}
        hashes = np.fromiter(map(hash, keys), np.int64, n)
        order = np.argsort(hashes, kind="stable")  # equal hashes keep row order
        hashes = hashes[order]
        rows_sorted = np.fromiter(rows, np.int32, n)[order]  # row numbers < 2^31
        first = np.ones(n, dtype=bool)  # the first row of each key in this batch
        np.not_equal(hashes[1:], hashes[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, n))
        keys_h, keys_row = hashes[starts], rows_sorted[starts]
        earlier = self._probe(keys_h, keys_row)  # row of an earlier batch, else _NO_ROW
        met = earlier != _NO_ROW
        repeated = ~first | np.repeat(met, sizes)
        if not repeated.any():
            self._add(keys_h, keys_row)
            return {}
        target = np.repeat(np.where(met, earlier, keys_row), sizes)
        dupes = dict(zip(rows_sorted[repeated].tolist(), target[repeated].tolist(), strict=True))
        self._add(keys_h[~met], keys_row[~met])
        return dict(sorted(dupes.items()))

    def _probe(self, hashes: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For each (distinct, sorted) hash: its row from an earlier batch, or _NO_ROW."""
        earlier = np.full(len(hashes), _NO_ROW, dtype=np.int64)
        if self.db is not None:
            return self._probe_file(hashes, rows, earlier)
        for run_h, run_row in self.runs:
            at = np.minimum(np.searchsorted(run_h, hashes), len(run_h) - 1)
            hit = run_h[at] == hashes
            earlier[hit] = run_row[at[hit]]
        return earlier

    def _probe_file(self, hashes: np.ndarray, rows: np.ndarray, earlier: np.ndarray):
        # one sorted INSERT OR IGNORE: it records the new keys and counts the known ones
        items = list(zip(hashes.tolist(), rows.tolist(), strict=True))
        before = self.db.total_changes
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", items)
        if self.db.total_changes - before == len(items):
            return earlier  # every key is new: the common case
        index = {h: i for i, (h, _row) in enumerate(items)}
        for lo in range(0, len(items), IN_CHUNK):
            part = [h for h, _row in items[lo : lo + IN_CHUNK]]
            marks = ",".join("?" * len(part))
            for h, first in self.db.execute(
                f"SELECT h, row FROM seen WHERE h IN ({marks})",  # noqa: S608
                part,
            ):
                if first != items[index[h]][1]:  # met in an earlier batch
                    earlier[index[h]] = first
        return earlier

    def _add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if self.db is not None or not len(hashes):
            return  # spilled: `_probe_file` has inserted them
        self.runs.append((hashes, rows))
        self.count += len(hashes)
        runs = self.runs
        while len(runs) > 1 and len(runs[-2][0]) <= len(runs[-1][0]) <= SEEN_RUN // 2:
            (b_h, b_row), (a_h, a_row) = runs.pop(), runs.pop()
            at = np.searchsorted(a_h, b_h)
            runs.append((np.insert(a_h, at, b_h), np.insert(a_row, at, b_row)))
        if self.count > self.memory_keys:
            self._spill()

    def _spill(self) -> None:
        self._file = tempfile.NamedTemporaryFile(suffix=".seen.sqlite3")  # noqa: SIM115
        self.db = sqlite3.connect(self._file.name)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -16384")  # 16 MB, bounded
        self.db.execute("CREATE TABLE seen (h INTEGER PRIMARY KEY, row INTEGER)")
        for run_h, run_row in self.runs:
            # sorted: consecutive inserts land on neighbouring pages of the rowid B-tree
            self.db.executemany(
                "INSERT INTO seen VALUES (?, ?)",
                zip(run_h.tolist(), run_row.tolist(), strict=True),
            )
        self.runs, self.count = [], 0  # from now on every batch goes to the file

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self._file.close()


def _pg_list(keys: list) -> tuple[str, Any]:
    """PostgreSQL: a set-returning expression over `keys` (non-empty) and its parameter.

    Text keys go as one string the server splits: psycopg dumps a list parameter value
    by value in Python (a tenth of the client's time at 100k orders). A key holding the
    separator (the joined text then has more of them) falls back to an array.
    """
    if isinstance(keys[0], str):
        joined = "\x1f".join(keys)
        if joined.count("\x1f") == len(keys) - 1:
            return "unnest(string_to_array(%s, chr(31)))", joined
        return "unnest(%s::text[])", keys
    return "unnest(%s::bigint[])", keys


@dataclass
class Context:
    user: Any
    kind: str
    key: str
    dry_run: bool
    default_owner_id: int
    assignable: set[int]  # owner ids the importer may put records under
    reason: str
    result: ImportResult
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    headers: dict[str, str] = field(default_factory=dict)  # field → the file's column header
    touched: set[int] = field(default_factory=set)  # customer ids written (capped)
    touched_count: int = 0


TOUCHED_CAP = 500  # above this, the caller recomputes everyone set-based


def _label(kind: str, name: str) -> str:
    t = targets(kind).get(name)
    return str(t.label) if t else name


class Handler:
    model: type = Customer

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.seen = SeenKeys()
        self.writer = RowWriter(connection)
        self.defaults = {
            f.name: f.get_default() for f in self.model._meta.concrete_fields if not f.primary_key
        }

    def close(self) -> None:
        self.seen.close()

    def process_columns(self, rows: Sequence[int], cols: Columns) -> bool:
        """Handle a batch converted column by column, if this kind has a path for it.

        False (before recording anything) sends the batch to `process`, row by row.
        """
        return False

    def flush(self) -> None:
        """Write what is still queued (child kinds queue new rows); called after the last batch."""

    def error(self, row: int, column: str, message: str) -> None:
        if column:
            column = self.ctx.headers.get(column) or _label(self.ctx.kind, column)
        self.ctx.result.add_error(row, column, message)

    def touch(self, ids) -> None:
        ids = list(ids)
        self.ctx.touched_count += len(ids)
        if len(self.ctx.touched) < TOUCHED_CAP:
            self.ctx.touched.update(ids[:TOUCHED_CAP])

    def dupes_in_file(self, keyed: list[tuple[int, dict, str]]) -> list[tuple[int, dict, str]]:
        dupes = self.seen.first_rows([(row, k) for row, _v, k in keyed if k])
        for row, first in dupes.items():
            self.error(row, "", _("Same key as row %(row)d of this file.") % {"row": first})
        return [item for item in keyed if item[0] not in dupes]

    def visible(self, ids) -> set[int]:
        """Which of these (alive) customer ids the importer may see."""
        if self.ctx.user.sees_everything:
            return set(ids)
        ids = sorted(set(ids))
        seen: set[int] = set()
        qs = Customer.objects.visible_to(self.ctx.user)
        for i in range(0, len(ids), IN_CHUNK):
            seen.update(qs.filter(pk__in=ids[i : i + IN_CHUNK]).values_list("pk", flat=True))
        return seen

    def pairs(self, model, column: str, keys, where: str = "") -> list[tuple[Any, int]]:
        """(key, id) of rows whose `column` is one of `keys`: raw, indexed IN queries.

        Plain values only (text keys, ids), so no ORM per-row conversion is needed;
        this is the hot path of every batch.
        """
        keys = set(keys)
        keys.discard(None)
        keys.discard("")
        keys = sorted(keys)  # index order: neighbouring probes share pages
        qn = connection.ops.quote_name
        col = qn(model._meta.get_field(column).column)
        select = f"SELECT {col}, id FROM {qn(model._meta.db_table)} WHERE {col}"  # noqa: S608
        found: list[tuple[Any, int]] = []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and keys:
                # One array parameter (a literal IN list of 5,000 values cost the planner a
                # selectivity estimate per value), probed key by key through the index:
                # `= ANY(array)` was planned as a sequential scan whenever the table had
                # no fresh statistics — a table the import itself is filling, or one
                # loaded since the last ANALYZE (2× slower at 100k customers, and a scan
                # of every order written so far for each batch of a large file).
                listed, param = _pg_list(keys)
                table = qn(model._meta.db_table)
                cursor.execute(
                    f"SELECT m.{col}, m.id FROM {listed} AS k(v) CROSS JOIN LATERAL "  # noqa: S608
                    f"(SELECT {col}, id FROM {table} WHERE {col} = k.v{where} OFFSET 0) AS m",
                    [param],
                )
                return cursor.fetchall()
            if connection.vendor == "sqlite":
                # the sqlite3 connection itself: Django's wrapper rewrote the 5,000 "%s"
                # of every query and wrapped each call (≈ 60 % of the probe's time)
                run = connection.connection.execute
                for i in range(0, len(keys), IN_CHUNK):
                    part = keys[i : i + IN_CHUNK]
                    found += run(f"{select} IN ({','.join('?' * len(part))}){where}", part)
                return found
            for i in range(0, len(keys), IN_CHUNK):
                part = keys[i : i + IN_CHUNK]
                cursor.execute(f"{select} IN ({', '.join(['%s'] * len(part))}){where}", part)
                found.extend(cursor.fetchall())
        return found

    def any_exists(self, model, column: str, keys: Sequence[str]) -> bool:
        """Whether any row's `column` is one of `keys` (non-empty strings, e.g. a batch's
        order numbers): the question of a batch of new rows, answered from the index
        alone, stopping at the first hit."""
        qn = connection.ops.quote_name
        col = qn(model._meta.get_field(column).column)
        table = qn(model._meta.db_table)
        keys = sorted(set(keys))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # an index-only probe per key (see `pairs`: no plan from missing statistics)
                listed, param = _pg_list(keys)
                cursor.execute(
                    f"SELECT 1 FROM {listed} AS k(v) WHERE EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {table} WHERE {col} = k.v OFFSET 0) LIMIT 1",
                    [param],
                )
                return cursor.fetchone() is not None
            run = connection.connection.execute if connection.vendor == "sqlite" else None
            for i in range(0, len(keys), IN_CHUNK):
                part = keys[i : i + IN_CHUNK]
                if run is not None:  # as in `pairs`: no rewriting of 5,000 placeholders
                    sql = f"SELECT 1 FROM {table} WHERE {col} IN ({','.join('?' * len(part))})"  # noqa: S608
                    if run(sql + " LIMIT 1", part).fetchone() is not None:
                        return True
                    continue
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(f"SELECT 1 FROM {table} WHERE {col} IN ({marks}) LIMIT 1", part)  # noqa: S608
                if cursor.fetchone() is not None:
                    return True
        return False

    def fetch(self, qs, lookup: str, keys, fields: Sequence[str]) -> list[dict]:
        """Typed rows (ORM `values`) of the records whose `lookup` is in `keys`.

        A raw probe first narrows `keys` to those present, so a batch of new rows costs
        one indexed query and no ORM work.
        """
        keys = sorted({k for k, _id in self.pairs(qs.model, lookup, keys)})
        rows: list[dict] = []
        for i in range(0, len(keys), IN_CHUNK):
            rows.extend(qs.filter(**{f"{lookup}__in": keys[i : i + IN_CHUNK]}).values(*fields))
        return rows

    def base_values(self) -> tuple[str, str, int]:
        """created_at, updated_at, version of new rows, as bulk writes take them."""
        now = row_value(self.ctx.now)
        return now, now, 1


# --- customers ----------------------------------------------------------------

CUSTOMER_SPECIAL = {"number", "external_id", "name", "owner", "notes", "__notes__"}


class CustomerHandler(Handler):
    model = Customer

    def __init__(self, ctx: Context, fields: Sequence[str]) -> None:
        super().__init__(ctx)
        self.fields = [f for f in fields if f not in CUSTOMER_SPECIAL]
        self.mapped = set(fields)
        self.columns = (
            "id", "created_at", "updated_at", "version", "number", "name", "name_key",
            "phone_key", "external_id", "owner", "profile_updated_at", "notes", *self.fields,
        )  # fmt: skip

    def _key(self, values: dict) -> str:
        if self.ctx.key == "name":
            return company_key(values.get("name"))
        if self.ctx.key == "number":
            return values.get("number", "").upper()
        return values.get("external_id", "")

    def process(self, rows: Rows) -> None:
        ctx = self.ctx
        keyed = []
        for row, v in rows:
            if "number" in v:
                v["number"] = v["number"].upper()
            k = self._key(v)
            if ctx.key == "name" and not k:
                self.error(row, "name", _("A company name is required."))
                continue
            keyed.append((row, v, k))
        keyed = self.dupes_in_file(keyed)
        lookup = {"name": "name_key", "number": "number", "external_id": "external_id"}[ctx.key]
        wanted = ["id", "owner", "version", "deleted_at", "number", "name", "name_key", "notes"]
        wanted += ["phone", "external_id", *(f for f in self.fields if f != "phone")]
        existing: dict[str, list[dict]] = {}
        for rec in self.fetch(
            Customer._base_manager, lookup, [k for _r, _v, k in keyed if k], wanted
        ):
            existing.setdefault(rec[lookup] or "", []).append(rec)
        visible = self.visible(r["id"] for recs in existing.values() for r in recs)
        new, updates, moves, created_keys = [], [], [], []
        for row, v, k in keyed:
            matches = existing.get(k, []) if k else []
            alive = [m for m in matches if m["deleted_at"] is None]
            if len(alive) > 1:
                self.error(
                    row, "name", _("Several existing customers have this name; use a key column.")
                )
                continue
            if matches and not alive:
                self.error(row, "", _("This customer is in the trash; restore it first."))
                continue
            if alive:
                self._update(row, v, alive[0], visible, updates, moves)
            elif ctx.key == "number" and k:
                self.error(
                    row,
                    "number",
                    _(
                        "No customer has this number; leave it empty to create one "
                        "(Guanxi assigns numbers)."
                    ),
                )
            else:
                self._new(row, v, new, created_keys)
        self._duplicate_warnings(created_keys)
        if not ctx.dry_run:
            self._write(new, updates, moves)

    def _owner(self, row: int, v: dict, current: int | None) -> int | None:
        owner = v.get("owner", current or self.ctx.default_owner_id)
        if owner != current and owner not in self.ctx.assignable:
            self.error(row, "owner", _("You cannot assign customers to this user."))
            return None
        return owner

    def _budget_ok(self, row: int, low, high) -> bool:
        if low is not None and high is not None and low > high:
            self.error(row, "budget_min", _("The budget's lower bound exceeds its upper bound."))
            return False
        return True

    def _new(self, row: int, v: dict, new: list, created_keys: list) -> None:
        if not v.get("name"):
            self.error(row, "name", _("A company name is required."))
            return
        owner = self._owner(row, v, None)
        if owner is None or not self._budget_ok(row, v.get("budget_min"), v.get("budget_max")):
            return
        notes = "\n".join(x for x in (v.get("notes", ""), v.get("__notes__", "")) if x)
        new.append((row, v, owner, notes))
        v["__keys__"] = (company_key(v["name"]), phone_key(v.get("phone")))
        created_keys.append((row, *v["__keys__"]))
        self.ctx.result.count(row, "new", v)

    def _update(self, row, v, rec, visible, updates, moves) -> None:
        if rec["id"] not in visible:
            self.error(row, "", _("This customer exists in another rep's book."))
            return
        owner = self._owner(row, v, rec["owner"])
        if owner is None:
            return
        merged = {f: v.get(f, rec.get(f)) for f in self.fields}
        if not self._budget_ok(row, merged.get("budget_min"), merged.get("budget_max")):
            return
        name = v.get("name", rec["name"])
        notes = v.get("notes", rec.get("notes") or "")
        extra = v.get("__notes__", "")
        if extra and extra not in notes:
            notes = f"{notes}\n{extra}" if notes else extra
        changed = (
            any(merged[f] != rec.get(f) for f in self.fields)
            or name != rec["name"]
            or owner != rec["owner"]
            or notes != (rec.get("notes") or "")
        )
        if not changed:
            self.ctx.result.count(row, "unchanged", v)
            return
        updates.append((rec, name, owner, notes, merged, v))
        if owner != rec["owner"]:
            moves.append((rec["id"], rec["owner"], owner))
        self.ctx.result.count(row, "updated", v)

    def _duplicate_warnings(self, created: list[tuple[int, str, str]]) -> None:
        if not created:
            return
        found = find_customer_matches(
            self.ctx.user, names=[n for _r, n, _p in created], phones=[p for _r, _n, p in created]
        )
        for row, name, phone in created:
            for by, key in (("name", name), ("phone", phone)):
                for m in found.get((by, key), [])[:1]:
                    if m.visible:
                        msg = _("Possible duplicate of %(number)s %(name)s (same %(by)s).")
                        msg %= {"number": m.number, "name": m.name, "by": _(by)}
                    else:
                        msg = _(
                            "Possible duplicate of a customer in another rep's book (same %(by)s)."
                        )
                        msg %= {"by": _(by)}
                    self.ctx.result.add_warning(row, _label("customers", by), msg)

    def _write(self, new, updates, moves) -> None:
        ctx = self.ctx
        now = db_value(ctx.now)
        if new:
            ids = reserve_ids(Customer, len(new))
            numbers = reserve_customer_numbers(dt.datetime.now(dt.UTC).date(), len(new))
            tuples = []
            for (_row, v, owner, notes), pk, number in zip(new, ids, numbers, strict=True):
                tuples.append(
                    (
                        pk, now, now, 1, number, v["name"], *v["__keys__"],
                        v.get("external_id") or None, owner, now,
                        notes, *(db_value(v.get(f, self.defaults[f])) for f in self.fields),
                    )
                )  # fmt: skip
            self.writer.write(Customer, self.columns, tuples)
            self.writer.write(
                OwnershipChange,
                ("customer", "from_owner", "to_owner", "changed_by", "changed_at", "reason"),
                [
                    (pk, None, t[9], ctx.user.pk, now, "imported")
                    for pk, t in zip(ids, tuples, strict=True)
                ],
            )
            record_history(Customer, ids, kind="+", user_id=ctx.user.pk, reason=ctx.reason)
            self.touch(ids)
        if updates:
            fields = ["name", "name_key", "phone_key", "owner", "notes", *self.fields]
            fields += ["external_id"] if "external_id" in self.mapped else []
            fields += ["version", "updated_at", "profile_updated_at"]
            params = []
            for rec, name, owner, notes, merged, v in updates:
                phone = merged["phone"] if "phone" in merged else rec["phone"]
                values = [name, company_key(name), phone_key(phone), owner, notes]
                values += [db_value(merged[f]) for f in self.fields]
                if "external_id" in self.mapped:
                    values.append(v.get("external_id") or rec.get("external_id") or None)
                params.append((*values, rec["version"] + 1, now, now, rec["id"]))
            update_rows(Customer, fields, params)
            self.writer.write(
                OwnershipChange,
                ("customer", "from_owner", "to_owner", "changed_by", "changed_at", "reason"),
                [(pk, old, to, ctx.user.pk, now, "imported") for pk, old, to in moves],
            )
            ids = [u[0]["id"] for u in updates]
            record_history(Customer, ids, kind="~", user_id=ctx.user.pk, reason=ctx.reason)
            self.touch(ids)
