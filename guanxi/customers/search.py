"""Customer search box: name fragment, exact customer number, or phone fragment.

The result is always exactly the plain predicate (`exact_q`): name contains the
text (case-insensitive as Django's `icontains`), or number equals it
(`iexact`), or — for 4+ characters with a digit — phone contains it. The index
structures of migration 0003 only narrow the rows that predicate is checked on,
through `id IN (candidates)`, a superset of the answer:

* PostgreSQL: candidates come from the GIN index on guanxi_bigrams(UPPER(name))
  (every bigram of the fragment must be present), the UPPER(number) index and
  the phone trigram index. The bigram test stays inside the candidate subquery,
  where the index answers it without a recheck.
* SQLite: candidates come from the bigram table kept by triggers: postings of the
  rarest bigram, the other bigrams checked by primary-key probes, plus the NOCASE
  number index.

An index only pays off when it narrows: a bigram such as 公司 sits in nearly
every name, and then walking the list order and stopping after one page is far
cheaper (matches are dense). So we look at how common the fragment's rarest
bigram is — planner statistics on PostgreSQL, a capped count on SQLite, which
keeps no per-value statistics — and skip the candidates when it is too common.
"""

import math
import time

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

GRAM_TABLE = "customers_search_gram"
GRAM_TRIGGERS = (
    "customers_search_gram_ins",
    "customers_search_gram_upd",
    "customers_search_gram_del",
)
MAX_PROBED_GRAMS = 6  # bigrams looked at per fragment; any subset keeps the result exact
MIN_COMMON_POSTINGS = 2000
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
    if grams:  # a single character has no bigram: plain scan
        candidates = _candidates(connections[queryset.db], value, grams)
        if candidates is not None:
            queryset = queryset.filter(pk__in=candidates)
    return queryset.filter(exact_q(value))


def _candidates(connection, value: str, grams: list[str]) -> RawSQL | None:
    """Ids that may match (a superset of the result), or None when scanning is cheaper."""
    if connection.vendor == "postgresql":
        return _postgres_candidates(connection, value, grams)
    if connection.vendor == "sqlite" and _sqlite_index_ready(connection):
        return _sqlite_candidates(connection, value, grams)
    return None


def common_postings(size: int) -> int:
    """Postings from which a bigram no longer pays off against an ordered scan.

    Walking the list order reads about PAGE × size × SCOPE / postings rows before
    a page is full; the candidate path reads about `postings` rows. The two cross
    near sqrt(PAGE × size × SCOPE): ~5,500 at 100k customers, ~17,500 at 1M.
    """
    return max(MIN_COMMON_POSTINGS, int(math.sqrt(PAGE * SCOPE * max(size, 0))))


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


def _postgres_candidates(connection, value: str, grams: list[str]) -> RawSQL | None:
    rows, shares = _postgres_gram_stats(connection)
    # A bigram missing from the most-common list is rarer than every listed one.
    # (PostgreSQL's upper() and Python's agree on the letters that matter here;
    # a mismatch would only cost speed, never correctness.)
    rarest = min(shares.get(g.upper(), 0.0) for g in _spread(grams, MAX_PROBED_GRAMS))
    if rarest * rows >= common_postings(int(rows)):
        return None
    # As a row filter guanxi_bigrams() would cost ~8 µs a row; inside this subquery
    # the GIN index answers it and no row is rechecked.
    sql = (
        "SELECT id FROM customers_customer "
        "WHERE guanxi_bigrams(UPPER(name)) @> guanxi_bigrams(UPPER(%s)) "
        "UNION SELECT id FROM customers_customer WHERE UPPER(number) = UPPER(%s)"
    )
    params = [value, value]
    if _phone_arm(value):
        sql += " UNION SELECT id FROM customers_customer WHERE phone LIKE %s"
        params.append(f"%{connection.ops.prep_for_like_query(value)}%")
    return RawSQL(sql, params)  # noqa: S611 (constant SQL, parameterised)


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
        cap = common_postings(cursor.fetchone()[0] or 0)
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
