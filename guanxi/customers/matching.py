"""Duplicate matching: normalised company names, phones and e-mails (one module for all).

The pure functions turn what people type into comparison keys; the keys are stored
in indexed columns (`Customer.name_key`, `phone_key`; `Contact.phone_key`,
`email_key`) so finding duplicates of N rows is a few indexed `IN` queries, never a
scan. Import, the merge screen and lead capture all match through here.

Rules (docs/import.md):
* company: NFKC (full-width → half-width), case-folded, punctuation and spaces
  dropped, legal-form suffixes stripped (有限公司, 有限责任公司, 股份有限公司, 集团,
  Co., Ltd., Inc., …). 杭州青山机械有限公司 == 杭州青山机械 == ＂杭州青山机械 有限责任公司＂.
* phone: digits only; +86 / 0086 / 86 before a mobile removed; an extension
  (转, ext, x, #) dropped; a landline written +86 571 … gets its trunk 0 back.
* e-mail: trimmed, NFKC, lower case; empty unless it contains one "@".

A key of "" means "nothing to match on". NULL in the database means "not computed
yet" (rows written by bulk loaders that do not know about keys); `keys_backfill`
fills those set-based before any match runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

# Longest first: the loop strips one suffix a pass until none is left.
CN_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "集团股份公司",
    "有限公司",
    "集团公司",
    "股份公司",
    "责任公司",
    "集团",
    "公司",
)
EN_SUFFIXES = frozenset(
    {
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "limited",
        "ltd",
        "llc",
        "plc",
        "gmbh",
        "group",
        "holdings",
    }
)
_TOKEN = re.compile(r"[^\W_]+")  # runs of letters/digits (CJK included); the rest separates
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#).*$", re.IGNORECASE)
MIN_PHONE_DIGITS = 5


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def company_key(name: str | None) -> str:
    """The comparison key of a company name ("" for a blank one)."""
    if not name:
        return ""
    tokens = _TOKEN.findall(_fold(name))
    # English legal forms only as whole words: "Tesco" keeps its "co".
    while len(tokens) > 1 and tokens[-1] in EN_SUFFIXES:
        tokens.pop()
    key = "".join(tokens)
    stripped = True
    while stripped:
        stripped = False
        for suffix in CN_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
                break
    return key


def phone_key(phone: str | None) -> str:
    """The comparison key of a phone number ("" when it has too few digits)."""
    if not phone:
        return ""
    text = _EXTENSION.sub("", unicodedata.normalize("NFKC", phone).strip())
    plus = text.startswith("+")
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if digits.startswith("0086"):
        digits, plus = digits[4:], True
    elif plus and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 13 and digits.startswith("861"):
        digits, plus = digits[2:], True
    elif plus:
        return "+" + digits if len(digits) >= MIN_PHONE_DIGITS else ""  # another country
    if plus and digits and not digits.startswith(("1", "0")):
        digits = "0" + digits  # +86 571 8888 6666 is 0571 8888 6666
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def email_key(email: str | None) -> str:
    """The comparison key of an e-mail address ("" unless it looks like one)."""
    if not email:
        return ""
    value = unicodedata.normalize("NFKC", email).strip().lower()
    return value if value.count("@") == 1 and not value.startswith("@") else ""


# --- against the database ---------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One existing customer a row matches; `visible` False hides who it is."""

    customer_id: int
    number: str
    name: str
    visible: bool
    by: str  # "name" | "phone" | "email"


CHUNK = 900  # keys per IN (...) query: under SQLite's old 999-parameter limit


def _chunks(values: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


KeyFn = Callable[[str | None], str]
KEY_SOURCES: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, KeyFn], ...]], ...] = (
    (
        "customers_customer",
        ("name", "phone"),
        (("name_key", company_key), ("phone_key", phone_key)),
    ),
    ("customers_contact", ("phone", "email"), (("phone_key", phone_key), ("email_key", email_key))),
)
STAGE = "customers_key_stage"


def backfill_table(
    connection,
    table: str,
    source: Sequence[str],
    targets: Sequence[tuple[str, KeyFn]],
    *,
    only_missing: bool = True,
    batch: int = 20000,
) -> int:
    """Compute the keys of `table` in Python (the normalisation is not SQL) and write
    them set-based: each batch goes to a temp table (COPY on PostgreSQL) and one
    UPDATE … FROM merges it. Used by the migration and by `keys_backfill`."""
    q = connection.ops.quote_name
    cols = [c for c, _fn in targets]
    where = f"WHERE {q(cols[0])} IS NULL" if only_missing else "WHERE 1 = 1"
    pg = connection.vendor == "postgresql"
    filled, last = 0, 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        key_types = ", ".join(f"{c} varchar(254)" for c in cols)
        cursor.execute(f"CREATE TEMP TABLE {STAGE} (id bigint PRIMARY KEY, {key_types})")
        while True:
            cursor.execute(
                f"SELECT id, {', '.join(q(c) for c in source)} FROM {q(table)} "  # noqa: S608
                f"{where} AND id > %s ORDER BY id LIMIT {int(batch)}",
                [last],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            keyed = [
                (pk, *(fn(vals[i]) for i, (_c, fn) in enumerate(targets))) for pk, *vals in rows
            ]
            if pg:
                with cursor.cursor.copy(f"COPY {STAGE} (id, {', '.join(cols)}) FROM STDIN") as copy:
                    for row in keyed:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * (len(cols) + 1))
                cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", keyed)  # noqa: S608
            sets = ", ".join(f"{q(c)} = s.{c}" for c in cols)
            if pg:
                cursor.execute(
                    f"UPDATE {q(table)} t SET {sets} FROM {STAGE} s WHERE t.id = s.id"  # noqa: S608
                )
            else:  # SQLite 3.33+ has UPDATE … FROM too, but not with a table alias on the target
                cursor.execute(
                    f"UPDATE {q(table)} SET {', '.join(f'{q(c)} = s.{c}' for c in cols)} "  # noqa: S608
                    f"FROM {STAGE} s WHERE {q(table)}.id = s.id"
                )
            cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608
            filled += len(rows)
            last = rows[-1][0]
        cursor.execute(f"DROP TABLE {STAGE}")
    return filled


def keys_backfill() -> int:
    """Compute missing keys (NULL) of customers and contacts; returns rows filled.

    Rows written by ordinary saves carry keys already; bulk loaders that do not set
    them leave NULL (the demo fills them right after loading), filled here before
    matching.
    """
    from django.db import connection

    return sum(
        backfill_table(connection, table, source, targets) for table, source, targets in KEY_SOURCES
    )


def find_customer_matches(
    user,
    *,
    names: Iterable[str] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
) -> dict[tuple[str, str], list[Match]]:
    """Existing alive customers matching any of the given keys (already normalised).

    Returns {("name"|"phone"|"email", key): [Match, ...]}. Phones match customers'
    and their contacts' phones, e-mails contacts' e-mails. Customers `user` cannot
    see come back with `visible=False` and no name or number: the caller may say
    "exists in another rep's book", never whose or what.
    """
    from .models import Contact, Customer

    visible_ids: set[int] = set()
    found: dict[tuple[str, str], list[Match]] = {}
    hits: list[tuple[str, str, int, str, str]] = []
    alive = Customer.objects.alive()
    for chunk in _chunks(sorted({k for k in names if k})):
        for pk, key, number, name in alive.filter(name_key__in=chunk).values_list(
            "pk", "name_key", "number", "name"
        ):
            hits.append(("name", key, pk, number, name))
    phone_list = sorted({k for k in phones if k})
    for chunk in _chunks(phone_list):
        for pk, key, number, name in alive.filter(phone_key__in=chunk).values_list(
            "pk", "phone_key", "number", "name"
        ):
            hits.append(("phone", key, pk, number, name))
        for pk, key, number, name in Contact.objects.filter(
            phone_key__in=chunk, customer__deleted_at__isnull=True
        ).values_list("customer_id", "phone_key", "customer__number", "customer__name"):
            hits.append(("phone", key, pk, number, name))
    for chunk in _chunks(sorted({k for k in emails if k})):
        for pk, key, number, name in Contact.objects.filter(
            email_key__in=chunk, customer__deleted_at__isnull=True
        ).values_list("customer_id", "email_key", "customer__number", "customer__name"):
            hits.append(("email", key, pk, number, name))
    ids = sorted({h[2] for h in hits})
    for chunk in _chunks(ids):
        visible_ids.update(
            Customer.objects.visible_to(user).filter(pk__in=chunk).values_list("pk", flat=True)
        )
    for by, key, pk, number, name in hits:
        seen = pk in visible_ids
        match = Match(pk, number if seen else "", name if seen else "", seen, by)
        bucket = found.setdefault((by, key), [])
        if all(m.customer_id != pk for m in bucket):
            bucket.append(match)
    return found


def duplicates_within(keys: Iterable[tuple[int, str]]) -> dict[int, int]:
    """Rows whose key repeats an earlier row's: {row: first row with that key}.

    `keys` are (row number, key) in file order; blank keys never match.
    """
    first: dict[str, int] = {}
    dupes: dict[int, int] = {}
    for row, key in keys:
        if not key:
            continue
        if key in first:
            dupes[row] = first[key]
        else:
            first[key] = row
    return dupes
