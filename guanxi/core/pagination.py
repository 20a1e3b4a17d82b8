"""Keyset ("seek") pagination for list pages: constant cost at any page depth.

The queryset must be ordered by non-null fields ending in a unique one (id).
The cursor is the last row's ordering values, signed so it cannot be forged
into an arbitrary filter.
"""

import json
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

SALT = "guanxi.keyset"


@dataclass
class KeysetPage:
    rows: list[Any]
    next_cursor: str | None
    has_previous: bool


def _order_fields(qs: QuerySet) -> list[tuple[str, bool]]:
    ordering = qs.query.order_by or qs.model._meta.ordering
    out = []
    for item in ordering:
        name = str(item)
        desc = name.startswith("-")
        out.append((name.lstrip("-"), desc))
    if not out or out[-1][0] not in ("id", "pk"):
        raise ValueError("keyset pagination needs an ordering that ends with id")
    return out


def _after(fields: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after `values` in the (possibly mixed-direction) ordering."""
    q = Q()
    for i, (name, desc) in enumerate(fields):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{fields[j][0]: values[j]})
        q |= step
    return q


def encode_cursor(values: list[Any]) -> str:
    return signing.dumps(json.dumps(values, default=str), salt=SALT, compress=True)


def decode_cursor(cursor: str) -> list[Any] | None:
    try:
        return json.loads(signing.loads(cursor, salt=SALT))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def keyset_page(qs: QuerySet, cursor: str | None, size: int = 50) -> KeysetPage:
    fields = _order_fields(qs)
    values = decode_cursor(cursor) if cursor else None
    if values is not None and len(values) == len(fields):
        qs = qs.filter(_after(fields, values))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([_value(last, name) for name, _ in fields])
    return KeysetPage(rows=rows, next_cursor=next_cursor, has_previous=values is not None)


def _value(row: Any, name: str) -> Any:
    value = row[name] if isinstance(row, dict) else getattr(row, "pk" if name == "pk" else name)
    return value.isoformat() if hasattr(value, "isoformat") else value
