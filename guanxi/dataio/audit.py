"""The change history across records, read from the simple-history tables.

Every history row belongs to a customer (a customer's own rows, or a contact's,
interaction's, order's or need's, each carrying its `customer_id`), so the one
visibility rule scopes it: a user sees the history of the customers they may see —
including customers now in the trash, as the trash page does. Directors and admins
see everything.

The merged list is keyset-paginated over (history_date, record type, history_id),
newest first: each history table answers "the next page after the cursor" with an
indexed range query on `history_date`, and the pages are merged in Python, so a page
costs the same at any depth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst

from guanxi.accounts.models import User
from guanxi.accounts.visibility import customer_visibility_q, reachable_owner_ids_q
from guanxi.customers.models import Contact, Customer, Interaction, Need, Order

# key -> (model, the history field that names the customer); the order breaks date ties.
AUDIT_MODELS: dict[str, tuple[type, str]] = {
    "customer": (Customer, "id"),
    "contact": (Contact, "customer_id"),
    "interaction": (Interaction, "customer_id"),
    "order": (Order, "customer_id"),
    "need": (Need, "customer_id"),
}
ORDER = {key: i for i, key in enumerate(AUDIT_MODELS)}
ACTIONS = ("+", "~", "-")
SKIP_FIELDS = {"version", "updated_at"}


def model_choices() -> list[tuple[str, str]]:
    return [(k, capfirst(str(m._meta.verbose_name))) for k, (m, _) in AUDIT_MODELS.items()]


def reach_ids(user: User) -> QuerySet | None:
    """Ids of the customers whose history `user` may read (alive or in the trash); None = all."""
    q = customer_visibility_q(user)
    if q is None:
        return None
    return Customer.objects.filter(q).values("pk")


def audit_users(user: User) -> QuerySet[User]:
    """Whose activity `user` may filter by: the owners they can reach (a rep: themselves)."""
    return User.objects.filter(reachable_owner_ids_q(user)).order_by("username")


def history_rows(user: User, key: str) -> QuerySet:
    """History rows of one record type that `user` may read."""
    model, customer_field = AUDIT_MODELS[key]
    qs = model.history.all()
    ids = reach_ids(user)
    return qs if ids is None else qs.filter(**{f"{customer_field}__in": ids})


@dataclass
class Change:
    field: str
    old: Any
    new: Any


@dataclass
class Entry:
    key: str
    label: str
    history_id: int
    object_id: int
    customer_id: int | None
    when: dt.datetime
    who: User | None
    action: str
    reason: str
    object_label: str
    record: Any = None
    changes: list[Change] = field(default_factory=list)
    customer_label: str = ""

    @property
    def cursor(self) -> str:
        return f"{self.when.isoformat()}|{self.key}|{self.history_id}"


@dataclass
class AuditFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    model: str = ""
    action: str = ""
    actor: User | None = None


def _bounds(d: dt.date, end: bool) -> dt.datetime:
    day = d + dt.timedelta(days=1) if end else d
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered(qs: QuerySet, filters: AuditFilters) -> QuerySet:
    if filters.date_from:
        qs = qs.filter(history_date__gte=_bounds(filters.date_from, end=False))
    if filters.date_to:
        qs = qs.filter(history_date__lt=_bounds(filters.date_to, end=True))
    if filters.action in ACTIONS:
        qs = qs.filter(history_type=filters.action)
    if filters.actor is not None:
        qs = qs.filter(history_user=filters.actor)
    return qs


def parse_cursor(cursor: str | None) -> tuple[dt.datetime, int, int] | None:
    try:
        when, key, hid = (cursor or "").split("|")
        moment = parse_datetime(when)
        if moment is None or key not in ORDER:
            return None
        return moment, ORDER[key], int(hid)
    except ValueError:
        return None


def _after(qs: QuerySet, key: str, cursor: tuple[dt.datetime, int, int] | None) -> QuerySet:
    """Rows strictly after the cursor in (date desc, type desc, history_id desc) order."""
    if cursor is None:
        return qs
    when, order, hid = cursor
    mine = ORDER[key]
    if mine < order:
        return qs.filter(history_date__lte=when)
    if mine > order:
        return qs.filter(history_date__lt=when)
    return qs.filter(Q(history_date__lt=when) | Q(history_date=when, history_id__lt=hid))


def audit_page(
    user: User, filters: AuditFilters, cursor: str | None = None, size: int = 50
) -> tuple[list[Entry], str | None]:
    """One page of the merged history, newest first, and the cursor of the next page."""
    keys = [filters.model] if filters.model in AUDIT_MODELS else list(AUDIT_MODELS)
    position = parse_cursor(cursor)
    entries: list[Entry] = []
    for key in keys:
        qs = _after(_filtered(history_rows(user, key), filters), key, position)
        rows = qs.select_related("history_user").order_by("-history_date", "-history_id")
        entries.extend(_entry(key, r) for r in rows[: size + 1])
    entries.sort(key=lambda e: (e.when, ORDER[e.key], e.history_id), reverse=True)
    page, more = entries[:size], len(entries) > size
    _decorate(page)
    return page, (page[-1].cursor if more and page else None)


def record_history(user: User, key: str, object_id: int, limit: int = 500) -> list[Entry]:
    """Every version of one record that `user` may read, oldest first, with diffs."""
    if key not in AUDIT_MODELS:
        return []
    rows = (
        history_rows(user, key)
        .filter(id=object_id)
        .select_related("history_user")
        .order_by("history_date", "history_id")[:limit]
    )
    entries = [_entry(key, r) for r in rows]
    _decorate(entries, previous_in_list=True)
    return entries


def _entry(key: str, record) -> Entry:
    model, customer_field = AUDIT_MODELS[key]
    return Entry(
        key=key,
        label=capfirst(str(model._meta.verbose_name)),
        history_id=record.history_id,
        object_id=record.id,
        customer_id=getattr(record, customer_field),
        when=record.history_date,
        who=record.history_user,
        action=record.history_type,
        reason=record.history_change_reason or "",
        object_label=_object_label(key, record),
        record=record,
    )


def _object_label(key: str, record) -> str:
    if key == "customer":
        return f"{record.name} ({record.number})"
    if key == "contact":
        return record.name
    if key == "interaction":
        return f"{record.occurred_at:%Y-%m-%d} {record.summary[:40]}"
    if key == "order":
        return record.number or f"{record.ordered_on} ¥{record.amount}"
    return record.description[:40]


def _decorate(entries: list[Entry], previous_in_list: bool = False) -> None:
    """Add field diffs (old → new) to changes and the customer's name to every row."""
    previous: dict[tuple[str, int], Any] = {}
    earlier = {} if previous_in_list else _previous_versions(entries)
    for e in entries:
        if e.action == "~":
            if previous_in_list:
                prev = previous.get((e.key, e.object_id))
            else:
                prev = earlier.get((e.key, e.history_id))
            if prev is not None:
                e.changes = diff(e.key, prev, e.record, with_m2m=previous_in_list)
        previous[(e.key, e.object_id)] = e.record
    ids = {e.customer_id for e in entries if e.customer_id}
    names = dict(
        Customer.objects.filter(pk__in=ids).values_list("pk", "name")
    )  # the trash included: history outlives deletion
    for e in entries:
        e.customer_label = names.get(e.customer_id, "")


def _previous_versions(entries: list[Entry]) -> dict[tuple[str, int], Any]:
    """The version before each changed row of a page: two queries per record type, not N."""
    found: dict[tuple[str, int], Any] = {}
    for key, (model, _) in AUDIT_MODELS.items():
        ids = [e.history_id for e in entries if e.key == key and e.action == "~"]
        if not ids:
            continue
        before = (
            model.history.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
            .order_by("-history_date", "-history_id")
            .values("history_id")[:1]
        )
        pairs = dict(
            model.history.filter(history_id__in=ids)
            .annotate(prev=Subquery(before))
            .values_list("history_id", "prev")
        )
        rows = model.history.filter(history_id__in=[p for p in pairs.values() if p])
        by_id = {r.history_id: r for r in rows}
        for hid, prev in pairs.items():
            if prev in by_id:
                found[(key, hid)] = by_id[prev]
    return found


def diff(key: str, old, new, *, with_m2m: bool = True) -> list[Change]:
    """Changed fields between two history rows, with labels and choice texts.

    Many-to-many fields (a customer's tags) cost two queries per row to compare, so
    the merged list leaves them out (`with_m2m=False`); a record's own page shows them.
    """
    model = AUDIT_MODELS[key][0]
    excluded = SKIP_FIELDS & _field_names(new)
    if not with_m2m:
        excluded |= {f.name for f in model._meta.many_to_many}
    delta = new.diff_against(old, excluded_fields=list(excluded))
    changes = []
    for c in delta.changes:
        try:
            f = model._meta.get_field(c.field)
        except Exception:  # a field that no longer exists on the model
            changes.append(Change(c.field, c.old, c.new))
            continue
        if f.many_to_many:
            old_value, new_value = _m2m_text(f, c.old), _m2m_text(f, c.new)
        else:
            labels = {k: str(v) for k, v in f.choices or ()}
            old_value = labels.get(c.old, c.old) if labels else c.old
            new_value = labels.get(c.new, c.new) if labels else c.new
        changes.append(Change(capfirst(str(f.verbose_name)), old_value, new_value))
    return changes


def _m2m_text(f, rows: list[dict]) -> str:
    """Through rows ({"customer": 1, "tag": 7}, …) as the related objects' names."""
    target = f.related_model
    key = f.m2m_reverse_field_name()
    ids = [row.get(key) for row in rows or ()]
    return ", ".join(str(o) for o in target.objects.filter(pk__in=ids).order_by("pk"))


def _field_names(record) -> set[str]:
    return {f.name for f in record._meta.fields}
