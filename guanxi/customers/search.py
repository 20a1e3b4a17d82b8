"""Customer search box: name fragment, exact customer number, or phone fragment.

The result is always exactly the plain predicate (`exact_q`): name contains the
text (case-insensitive as Django's `icontains`), or number equals it
(`iexact`), or — for 4+ characters with a digit — phone contains it. The index
structures of migration 0003 only add a condition that narrows the rows that
predicate is checked on — a superset of the answer:

* PostgreSQL: guanxi_bigrams(UPPER(name)) contains every bigram of the text, or
  the number or phone arm holds; a BitmapOr of the GIN bigram index, the
  UPPER(number) index and the phone trigram index.
* SQLite: `id IN (candidates)` from the bigram table kept by triggers: postings
  of the rarest bigram, the other bigrams checked by primary-key probes, plus the
  NOCASE number index.

An index only pays off when it narrows: a bigram such as 公司 sits in nearly
every name, and then walking the list order and stopping after one page is far
cheaper (matches are dense). So we look at how common the fragment's rarest
bigram is — planner statistics on PostgreSQL, a capped count on SQLite, which
keeps no per-value statistics — and skip the candidates when it is too common.
"""

import math
import time

from django.db import connections
from django.db.models import BooleanField, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

GRAM_TABLE = "customers_search_gram"
GRAM_TRIGGERS = (
    "customers_search_gram_ins",
    "customers_search_gram_upd",
    "customers_search_gram_del",
)
MAX_PROBED_GRAMS = 6  # bigrams looked at per fragment; any subset keeps the result exact
MIN_COMMON_POSTINGS = 1000
PAGE = 51  # rows a list page reads (50 + 1 to know whether there is a next page)
SCOPE = 6  # a rep sees about a sixth of the book: the worst case for an ordered scan


def exact_q(value: str) -> Q:
    """The search predicate itself; every index path must return exactly these rows."""
    q = Q(name__icontains=value) | Q(number__iexact=value)
    if _phone_arm(value):
        q |= Q(phone__contains=value)
    return q


def _phone_arm(value: str) -> bool:
    return len(value) >= 4 and any(ch.isdigit() for ch in value)


def bigrams(value: str) -> list[str]:
    """Distinct two-character substrings, in order of first appearance."""
    return list(dict.fromkeys(value[i : i + 2] for i in range(len(value) - 1)))


def search(queryset: QuerySet, value: str) -> QuerySet:
    """`queryset` narrowed to customers matching `value` (already trimmed, non-empty)."""
    grams = bigrams(value)
    connection = connections[queryset.db]
    if grams and connection.vendor == "postgresql":
        narrowing = _postgres_narrowing(connection, value, grams)
        if narrowing is not None:
            return queryset.filter(narrowing, _postgres_exact_q(value))
    elif grams and connection.vendor == "sqlite" and _sqlite_index_ready(connection):
        candidates = _sqlite_candidates(connection, value, grams)
        if candidates is not None:
            queryset = queryset.filter(pk__in=candidates)
    # A single character has no bigram; a very common fragment is cheaper to scan for.
    return queryset.filter(exact_q(value))


# Cost of reading one row in list order relative to one indexed candidate row,
# measured with `python -m bench` (100k customers; docs/benchmarks.md).
SCAN_VS_CANDIDATE = {"sqlite": 1.0, "postgresql": 0.5}


def common_postings(size: int, vendor: str = "sqlite") -> int:
    """Postings from which a bigram no longer pays off against an ordered scan.

    Walking the list order reads about PAGE × SCOPE × size / postings rows before
    a page is full; the indexed path reads about `postings` rows. With r the cost
    of a scanned row relative to an indexed one they cross near
    sqrt(PAGE × SCOPE × size × r): ~5,500 postings at 100k customers on SQLite.
    """
    ratio = SCAN_VS_CANDIDATE.get(vendor, 1.0)
    return max(MIN_COMMON_POSTINGS, int(math.sqrt(PAGE * SCOPE * max(size, 0) * ratio)))


def _spread(items: list[str], k: int) -> list[str]:
    if len(items) <= k:
        return items
    step = (len(items) - 1) / (k - 1)
    return [items[round(i * step)] for i in range(k)]


# --- PostgreSQL ------------------------------------------------------------

# Planner statistics of the bigram index (the most common bigrams and the share
# of rows holding each), re-read every few minutes: they change only on ANALYZE.
STATS_TTL = 300.0
_pg_stats: dict[str, tuple[float, float, dict[str, float]]] = {}


def _postgres_gram_stats(connection) -> tuple[float, dict[str, float]]:
    key = f"{connection.alias}:{connection.settings_dict['NAME']}"
    cached = _pg_stats.get(key)
    if cached and time.monotonic() - cached[0] < STATS_TTL:
        return cached[1], cached[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs "
            "FROM pg_class c LEFT JOIN pg_stats s "
            "ON s.schemaname = current_schema() AND s.tablename = 'cust_name_bigram' "
            "WHERE c.oid = 'customers_customer'::regclass"
        )
        rows, elems, freqs = cursor.fetchone()
    rows = max(float(rows), 0.0)  # -1 before the first ANALYZE
    shares = dict(zip(elems or [], freqs or [], strict=False))
    _pg_stats[key] = (time.monotonic(), rows, shares)
    return rows, shares


class _Bigrams(Func):
    function = "guanxi_bigrams"
    output_field = TextField()  # text[]; only ever compared with @> below


class _ContainsAll(Func):
    """`array @> array` as a condition the ORM can filter on."""

    arg_joiner = " @> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _postgres_exact_q(value: str) -> Q:
    """`exact_q` spelled with strpos() instead of LIKE: the same rows.

    The planner multiplies the LIKE estimate by the bigram estimate as if they were
    independent, while they are nearly the same condition; it then expects ~50
    times too few rows, may walk the whole list order (in parallel workers, ~8 ms
    just to start) and runs guanxi_bigrams() on every row. strpos() gets a neutral
    default estimate instead, so the bigram statistics decide the plan.
    """
    position = StrIndex(Upper("name"), Upper(Value(value)))
    q = Q(GreaterThan(position, 0)) | Q(number__iexact=value)
    if _phone_arm(value):
        q |= Q(phone__contains=value)
    return q


def _postgres_narrowing(connection, value: str, grams: list[str]) -> Q | None:
    rows, shares = _postgres_gram_stats(connection)
    # A bigram missing from the most-common list is rarer than every listed one.
    # (PostgreSQL's upper() and Python's agree on the letters that matter here;
    # a mismatch would only cost speed, never correctness.)
    rarest = min(shares.get(g.upper(), 0.0) for g in _spread(grams, MAX_PROBED_GRAMS))
    if rarest * rows >= common_postings(int(rows), connection.vendor):
        return None
    # Its own AND-ed condition, an OR of the three indexed arms (GIN on bigrams,
    # UPPER(number), phone trigrams): the planner turns it into a BitmapOr, and
    # guanxi_bigrams() (~8 µs a call) never runs as a row filter because GIN
    # answers @> exactly, without a recheck.
    q = Q(_ContainsAll(_Bigrams(Upper("name")), _Bigrams(Upper(Value(value)))))
    q |= Q(number__iexact=value)
    if _phone_arm(value):
        q |= Q(phone__contains=value)
    return q


# --- SQLite ----------------------------------------------------------------


def _sqlite_index_ready(connection) -> bool:
    """The bigram triggers exist (a table rebuild by a later migration drops them).

    Without them the gram table may be stale, so we fall back to the plain scan:
    slower, never wrong. tests/customers/test_search.py fails when that happens.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)",
            GRAM_TRIGGERS,
        )
        return cursor.fetchone()[0] == len(GRAM_TRIGGERS)


def _sqlite_candidates(connection, value: str, grams: list[str]) -> RawSQL | None:
    probed = _spread(grams, MAX_PROBED_GRAMS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM customers_customer")  # O(1): edge of the rowid tree
        cap = common_postings(cursor.fetchone()[0] or 0, connection.vendor)
        # Only constants and an int are interpolated; the text is always a parameter.
        counts = " UNION ALL ".join(
            f"SELECT %s, (SELECT count(*) FROM (SELECT 1 FROM {GRAM_TABLE} "  # noqa: S608
            f"WHERE gram = upper(%s) LIMIT {cap}))"
            for _ in probed
        )
        cursor.execute(counts, [p for g in probed for p in (g, g)])
        postings = sorted(cursor.fetchall(), key=lambda row: row[1])
    if postings[0][1] >= cap:
        return None
    rarest, others = postings[0][0], [g for g, _n in postings[1:]]
    checks = "".join(
        f" AND EXISTS (SELECT 1 FROM {GRAM_TABLE} o{i} "  # noqa: S608
        f"WHERE o{i}.gram = upper(%s) AND o{i}.customer_id = r.customer_id)"
        for i in range(len(others))
    )
    # The gram table holds phone bigrams too, so it covers the phone arm as well.
    sql = (
        f"SELECT r.customer_id FROM {GRAM_TABLE} r WHERE r.gram = upper(%s){checks} "  # noqa: S608
        # NOCASE equality is what Django's iexact (an escaped LIKE) means on SQLite.
        "UNION SELECT id FROM customers_customer WHERE number = %s COLLATE NOCASE"
    )
    return RawSQL(sql, [rarest, *others, value])  # noqa: S611 (parameterised)
