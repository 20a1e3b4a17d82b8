"""Upsert of records that hang off a customer: contacts, orders, interactions.

Every row names its customer by number, external ID or company name (normalised);
only customers the importer can see are found (the visibility rule), so a row can
never attach to, or reveal, another rep's customer. Keys (docs/import.md):
contacts — customer + contact name; orders — order number, or customer + date +
amount + product + quantity; interactions — customer + time + channel + summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, repeat
from operator import add, itemgetter
from typing import Any

from django.utils.translation import gettext as _

from guanxi.customers.matching import company_key, email_key, phone_key
from guanxi.customers.models import Contact, Customer, Interaction, Order

from .mapping import fold
from .sqlwrite import db_column, db_value, record_history, reserve_ids, update_rows
from .upsert import Context, Handler, Rows
from .validate import EMPTY, Columns

REF_FIELDS = ("customer_number", "customer_external_id", "customer_name")
REF_KINDS = {
    "customer_number": "number",
    "customer_external_id": "external_id",
    "customer_name": "name_key",
}
FLUSH_ROWS = 50_000  # new rows queued per write (≈ 20 MB of tuples at most)
KNOWN_CUSTOMERS = 200_000  # customer keys remembered across batches (≈ 25 MB at most)


class ChildHandler(Handler):
    key_fields: tuple[str, ...] = ()
    data_fields: tuple[str, ...] = ()  # importable model fields, in write order
    required: tuple[str, ...] = ()

    def __init__(self, ctx: Context, fields: Sequence[str]) -> None:
        super().__init__(ctx)
        self.mapped = [f for f in self.data_fields if f in fields]
        self.columns = [(f, db_column(self.model, f), self.defaults[f]) for f in self.data_fields]
        self.pending: list[tuple] = []  # new rows (without id) not yet written
        self.new_columns: tuple[str, ...] = ()
        self.known: dict[str, dict] = {"number": {}, "external_id": {}, "name_key": {}}
        self.refs = frozenset(f for f in REF_FIELDS if f in fields)
        self.refused: dict[str, set] = {}  # keys the last look-up found no visible customer for
        self.retry = False

    # -- customers ---------------------------------------------------------------

    def resolve(self, rows: Rows) -> list[tuple[int, dict, int]]:
        """(row, values, customer id) for rows whose customer the importer can see.

        Customers found (and visible) in earlier batches are remembered, up to
        KNOWN_CUSTOMERS keys, so a large file names each customer to the database about
        once rather than once per batch; visibility is as of that first look-up.
        """
        refs = self.refs  # only the reference columns the file maps are looked at
        self.remember(
            {v["customer_number"].upper() for _r, v in rows if v.get("customer_number")}
            if "customer_number" in refs
            else (),
            {v["customer_external_id"] for _r, v in rows if v.get("customer_external_id")}
            if "customer_external_id" in refs
            else (),
            {company_key(v["customer_name"]) for _r, v in rows if v.get("customer_name")}
            if "customer_name" in refs
            else (),
        )
        by_number, by_external = self.known["number"], self.known["external_id"]
        by_name = self.known["name_key"]
        required = frozenset(self.required)
        out = []
        for row, v in rows:
            if number := v.get("customer_number"):
                found, column = by_number.get(number.upper()), "customer_number"
            elif external := v.get("customer_external_id"):
                found, column = by_external.get(external), "customer_external_id"
            elif name := v.get("customer_name"):
                ids = by_name.get(company_key(name), [])
                column = "customer_name"
                if len(ids) > 1:
                    self.error(
                        row,
                        column,
                        _("Several of your customers have this name; use the customer number."),
                    )
                    continue
                found = ids[0] if ids else None
            else:
                self.error(
                    row, "customer_name", _("Name the customer (number, external ID or name).")
                )
                continue
            if found is None:
                self.error(row, column, _("None of the customers you can see matches."))
                continue
            if not required <= v.keys():
                for f in self.required:
                    if f not in v:
                        self.error(row, f, _("This field is required."))
                continue
            out.append((row, v, found))
        return out

    def remember(self, numbers, externals, names) -> None:
        """Look up the customer keys not remembered yet; remember those the importer sees.

        Customers found (and visible) in earlier batches are remembered, up to
        KNOWN_CUSTOMERS keys, so a large file names each customer to the database about
        once rather than once per batch; visibility is as of that first look-up.
        """
        known = self.known
        # keys this batch was refused already when its column path gave up (`retry`)
        skip = self.refused if self.retry else {"number": (), "external_id": (), "name_key": ()}
        if not self.retry and sum(map(len, known.values())) > KNOWN_CUSTOMERS:
            self.known = known = {"number": {}, "external_id": {}, "name_key": {}}  # bounded
        self.retry = False
        asked = {
            "number": set(numbers).difference(known["number"], skip["number"]),
            "external_id": set(externals).difference(known["external_id"], skip["external_id"]),
            "name_key": set(names).difference(known["name_key"], skip["name_key"]),
        }
        alive = " AND deleted_at IS NULL"
        found = {k: self.pairs(Customer, k, keys, alive) for k, keys in asked.items()}
        # the visibility rule, once per batch, over every new customer the rows name
        visible = self.visible(pk for pairs in found.values() for _k, pk in pairs)
        known["number"].update((k, pk) for k, pk in found["number"] if pk in visible)
        known["external_id"].update((k, pk) for k, pk in found["external_id"] if pk in visible)
        for k, pk in found["name_key"]:
            if pk in visible:
                known["name_key"].setdefault(k, []).append(pk)
        self.refused = {k: keys.difference(known[k]) for k, keys in asked.items()}

    def resolve_columns(self, cols: Columns) -> list[int] | None:
        """`resolve` for a converted batch: each row's customer id, or None when any row
        would fail there (no customer named, none found, an ambiguous name)."""
        ref = next((f for f in REF_FIELDS if f in self.refs), None)
        if ref is None or not cols.full(ref):
            return None  # some row names its customer by another column, or by none
        keys = cols.values[ref]
        if ref == "customer_number":
            keys = list(map(str.upper, keys))
        elif ref == "customer_name":
            folded = {name: company_key(name) for name in set(keys)}
            keys = list(map(folded.__getitem__, keys))
        distinct = set(keys)
        if ref == "customer_number":
            self.remember(distinct, (), ())
        elif ref == "customer_external_id":
            self.remember((), distinct, ())
        else:
            self.remember((), (), distinct)
        known = self.known[REF_KINDS[ref]]
        if ref == "customer_name":
            cids = [ids[0] if len(ids := known.get(k, ())) == 1 else None for k in keys]
        else:
            cids = list(map(known.get, keys))
        if None in cids:
            self.retry = True  # `resolve` runs next on this batch: do not ask again
            return None
        return cids

    # -- shared write ----------------------------------------------------------

    def natural_key(self, v: dict, customer_id: int) -> str:
        return "\x1f".join([str(customer_id), *(str(v.get(f, "")) for f in self.key_fields)])

    def write_new(self, new: list[tuple[int, dict, int]], extra_cols=(), extra=None) -> None:
        """Queue the new rows of a batch; `flush` writes them FLUSH_ROWS at a time."""
        if self.ctx.dry_run or not new:
            return
        self.new_columns = (
            "created_at",
            "updated_at",
            "version",
            "customer",
            *self.data_fields,
            *extra_cols,
        )
        # built column by column (one list comprehension and a C-level map per field),
        # then zipped into row tuples: no per-row, per-field Python dispatch
        values = [v for _row, v, _cid in new]
        columns = [*map(repeat, self.base_values()), [cid for _r, _v, cid in new]]
        columns += [prep([v.get(f, default) for v in values]) for f, prep, default in self.columns]
        if extra:
            columns += zip(*map(extra, values), strict=True)
        self.pending += zip(*columns, strict=False)  # strict=False: the repeat() columns
        self.touch({cid for _r, _v, cid in new})
        if len(self.pending) >= FLUSH_ROWS:
            self.flush()

    def write_new_columns(self, cids: list[int], cols: Columns, fill: dict[str, Any]) -> None:
        """`write_new` for a converted batch of new rows: the same tuples, built per column.

        An empty cell gets `fill`'s value or the field's default, as `v.get(f, default)`
        does after the handler's `setdefault`s.
        """
        if self.ctx.dry_run or not cids:
            return
        self.new_columns = ("created_at", "updated_at", "version", "customer", *self.data_fields)
        columns = [*map(repeat, self.base_values()), cids]
        for f, prep, default in self.columns:
            default = fill.get(f, default)
            values = cols.values.get(f)
            if values is None:
                columns.append(repeat(prep([default])[0]))
                continue
            if f in cols.sparse:
                values = [default if x is EMPTY else x for x in values]
            columns.append(prep(values))
        self.pending += zip(*columns, strict=False)  # strict=False: the repeat() columns
        self.touch(set(cids))
        if len(self.pending) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the queued new rows and their history rows (one INSERT … SELECT).

        Queued across batches so that each write is large: a million orders spread over
        100,000 customers touch most leaf pages of the customer indexes (orders and
        history) in every write, so ten times the rows per write is about a tenth of
        the page reads and spills per row. The rows are sorted by customer (stable: a
        customer's rows keep their file order) and then given their ids, so the table,
        the customer indexes and the history rows (read back by id) are all written in
        one ascending order; ids given in file order made the table's inserts land in
        the middle of its last pages (≈ 15 % of a 1M-order import on SQLite). In-file
        duplicates are caught by `SeenKeys`, not by the database, so queued rows change
        no later decision.
        """
        rows, self.pending = self.pending, []
        if self.ctx.dry_run or not rows:
            return  # nothing is written (all-or-nothing after an error: rolled back)
        rows.sort(key=itemgetter(3))  # the customer column (created, updated, version, customer)
        ids = reserve_ids(self.model, len(rows))
        rows = list(map(add, zip(ids, strict=True), rows))  # (id, *row), no Python loop
        self.writer.write(self.model, ("id", *self.new_columns), rows)
        record_history(self.model, ids, kind="+", user_id=self.ctx.user.pk, reason=self.ctx.reason)

    def write_updates(
        self, updates: list[tuple[dict, dict, int]], extra_cols=(), extra=None
    ) -> None:
        if self.ctx.dry_run or not updates:
            return
        now = db_value(self.ctx.now)
        fields = ["customer", *self.mapped, *extra_cols, "version", "updated_at"]
        params = []
        for rec, v, cid in updates:
            merged = {f: v.get(f, rec.get(f)) for f in self.mapped}
            values = [db_value(merged[f]) for f in self.mapped]
            keys = extra({**rec, **merged}) if extra else ()
            params.append((cid, *values, *keys, rec["version"] + 1, now, rec["id"]))
        update_rows(self.model, fields, params)
        ids = [rec["id"] for rec, _v, _c in updates]
        record_history(self.model, ids, kind="~", user_id=self.ctx.user.pk, reason=self.ctx.reason)
        self.touch({cid for _r, _v, cid in updates})

    def classify(
        self, row: int, v: dict, rec: dict | None, cid: int, new: list, updates: list
    ) -> None:
        if rec is None:
            new.append((row, v, cid))
            self.ctx.result.count(row, "new", v)
        elif rec["customer"] == cid and all(v[f] == rec.get(f) for f in self.mapped if f in v):
            self.ctx.result.count(row, "unchanged", v)
        else:
            updates.append((rec, v, cid))
            self.ctx.result.count(row, "updated", v)

    def classify_all(
        self, keyed: list[tuple[int, dict, str]], existing: dict, cid_of: dict
    ) -> tuple[list, list]:
        """`classify` for every keyed row; a batch with no existing record (a first
        import) is all new, counted at once."""
        new: list = []
        updates: list = []
        if not existing:
            new = [(row, v, cid_of[row]) for row, v, _k in keyed]
            self.ctx.result.count_many("new", [(row, v) for row, v, _cid in new])
            return new, updates
        for row, v, k in keyed:
            self.classify(row, v, existing.get(k), cid_of[row], new, updates)
        return new, updates


class ContactHandler(ChildHandler):
    model = Contact
    data_fields = (
        "name",
        "title",
        "phone",
        "email",
        "wechat",
        "decision_role",
        "is_key_person",
        "notes",
    )
    required = ("name",)

    def process(self, rows: Rows) -> None:
        resolved = self.resolve(rows)
        keyed = [(row, v, f"{cid}\x1f{fold(v['name'])}") for row, v, cid in resolved]
        cids = {k: cid for (_r, _v, k), (_r2, _v2, cid) in zip(keyed, resolved, strict=True)}
        keyed = self.dupes_in_file(keyed)
        fields = [
            "id",
            "customer",
            "version",
            *dict.fromkeys(["name", "phone", "email", *self.mapped]),
        ]
        existing = {}
        for rec in self.fetch(Contact.objects.all(), "customer", set(cids.values()), fields):
            existing.setdefault(f"{rec['customer']}\x1f{fold(rec['name'])}", rec)
        new: list = []
        updates: list = []
        for row, v, k in keyed:
            if "__notes__" in v:
                v["notes"] = "\n".join(x for x in (v.get("notes", ""), v.pop("__notes__")) if x)
            self.classify(row, v, existing.get(k), cids[k], new, updates)

        def keys(v):
            return (phone_key(v.get("phone")), email_key(v.get("email")))

        self.write_new(new, ("phone_key", "email_key"), keys)
        self.write_updates(updates, ("phone_key", "email_key"), keys)


class OrderHandler(ChildHandler):
    model = Order
    data_fields = ("number", "ordered_on", "amount", "gross_margin", "product_line", "quantity")
    key_fields = ("ordered_on", "amount", "product_line", "quantity")
    required = ("ordered_on", "amount")

    FILL = {"quantity": 1, "product_line": ""}  # what `process` sets when the cell is empty

    def process_columns(self, rows: Sequence[int], cols: Columns) -> bool:
        """The common batch — new orders keyed by number, every row valid — column by
        column, with no per-row dict. False, before anything is recorded, when any row
        needs `process`: an error, an existing order (update, unchanged, other book)."""
        if self.ctx.key != "number" or not all(map(cols.full, ("number", *self.required))):
            return False
        cids = self.resolve_columns(cols)
        if cids is None:
            return False
        numbers = cols.values["number"]
        if self.any_exists(Order, "number", numbers):
            return False  # updates, unchanged rows or another rep's orders: `process`
        dupes = self.seen.repeats(rows, numbers)
        if dupes:
            for row, first in dupes.items():
                self.error(row, "", _("Same key as row %(row)d of this file.") % {"row": first})
            keep = [row not in dupes for row in rows]
            rows = list(compress(rows, keep))
            cids = list(compress(cids, keep))
            cols = cols.select(keep)
        result = self.ctx.result
        shown = range(min(len(rows), result.preview_room()))
        result.count_many(
            "new", [(rows[i], {**self.FILL, **cols.row(i)}) for i in shown], total=len(rows)
        )
        self.write_new_columns(cids, cols, self.FILL)
        return True

    def process(self, rows: Rows) -> None:
        by_number = self.ctx.key == "number"
        keyed = []
        cid_of = {}
        for row, v, cid in self.resolve(rows):
            if by_number and not v.get("number"):
                self.error(row, "number", _("The order number is required (it is the key)."))
                continue
            v.setdefault("quantity", 1)
            v.setdefault("product_line", "")
            keyed.append((row, v, v["number"] if by_number else self.natural_key(v, cid)))
            cid_of[row] = cid
        keyed = self.dupes_in_file(keyed)
        fields = ["id", "customer", "version", *self.data_fields]
        existing: dict[str, dict] = {}
        if by_number:
            for rec in self.fetch(
                Order.objects.all(), "number", [k for _r, _v, k in keyed], fields
            ):
                existing.setdefault(rec["number"], rec)
            visible = self.visible(r["customer"] for r in existing.values())
        else:
            cids = {cid_of[row] for row, _v, _k in keyed}
            days = sorted({v["ordered_on"] for _r, v, _k in keyed})
            qs = Order.objects.filter(ordered_on__in=days)
            for rec in self.fetch(qs, "customer", cids, fields):
                existing.setdefault(self.natural_key(rec, rec["customer"]), rec)
            visible = set(cids)
        if existing:
            others = {
                row
                for row, _v, k in keyed
                if k in existing and existing[k]["customer"] not in visible
            }
            for row in sorted(others):
                self.error(row, "number", _("This order exists in another rep's book."))
            keyed = [item for item in keyed if item[0] not in others]
        new, updates = self.classify_all(keyed, existing, cid_of)
        self.write_new(new)
        self.write_updates(updates)


class InteractionHandler(ChildHandler):
    model = Interaction
    data_fields = (
        "occurred_at",
        "channel",
        "content_type",
        "summary",
        "feedback",
        "next_action",
        "next_action_due",
        "owner",
    )
    key_fields = ("occurred_at", "channel", "summary")
    required = ("occurred_at", "channel", "summary")

    def process(self, rows: Rows) -> None:
        resolved = []
        for row, v, cid in self.resolve(rows):
            owner = v.setdefault("owner", self.ctx.default_owner_id)
            if owner not in self.ctx.assignable:
                self.error(row, "owner", _("You cannot log interactions for this user."))
                continue
            resolved.append((row, v, cid))
        keyed = [(row, v, self.natural_key(v, cid)) for row, v, cid in resolved]
        cid_of = {row: cid for row, _v, cid in resolved}
        keyed = self.dupes_in_file(keyed)
        fields = ["id", "customer", "version", *self.data_fields]
        cids = {cid_of[row] for row, _v, _k in keyed}
        times = sorted({v["occurred_at"] for _r, v, _k in keyed})
        existing: dict[str, Any] = {}
        qs = Interaction.objects.filter(occurred_at__in=times)
        for rec in self.fetch(qs, "customer", cids, fields):
            existing.setdefault(self.natural_key(rec, rec["customer"]), rec)
        new: list = []
        updates: list = []
        for row, v, k in keyed:
            self.classify(row, v, existing.get(k), cid_of[row], new, updates)
        self.write_new(new)
        self.write_updates(updates)


CHILD_HANDLERS = {
    "contacts": ContactHandler,
    "orders": OrderHandler,
    "interactions": InteractionHandler,
}
