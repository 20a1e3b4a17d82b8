"""Scoring inside the database: every score of many customers computed by SQL.

  1. the stored facts (nightly.store_facts: one row per scored customer, built by the
     facts statement of facts.py) give the run's facts table, with day offsets, for
     every customer (full run) or for the nightly run's candidates;
  2. the population cut-offs are computed from the buyers' columns (population.py);
  3. one INSERT … SELECT stages every score column (sqlscore.py restates rules.py);
  4. the customers whose tier, grade, class or rating moved are found by a join; only
     they are scored again by the pure rules, for the history with its explanation;
  5. the staged scores are merged into the score table in one statement.
No customer's facts or scores cross into Python except those that changed, so the
cost is a few passes of SQL however many customers there are. Explanations of the
stored scores are derived on read (explain.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import accumulate
from typing import Any

from django.db import connection

from .facts import COLUMNS, order_facts_query, row_to_facts
from .facts_types import Facts
from .models import CustomerMaturity, CustomerScore, ScoreChange
from .models_facts import CustomerFacts
from .population import pareto_need, quantile_ranks, top_share_rank
from .results import DIMENSIONS, Cutoffs
from .sqlscore import lit, score_select
from .standard_types import Standard

ORDERS = "scoring_run_orders"
BUYERS = "scoring_run_buyers"  # the buyers' columns the cut-offs sort
FACTS = "scoring_run_facts"
PRIOR = "scoring_run_prior"  # the stored dimensions of the customers scored
STAGE = "scoring_run_scores"
SCORE_TABLE = CustomerScore._meta.db_table
STORED = CustomerFacts._meta.db_table
MATURITY_TABLE = CustomerMaturity._meta.db_table
CHANGE_TABLE = ScoreChange._meta.db_table
WORK_MEM = "256MB"
RANDOM_PAGE_COST = 1.1


def is_pg() -> bool:
    return connection.vendor == "postgresql"


def _no_jit(cursor: Any) -> None:
    """PostgreSQL's JIT compiles the scores' large CASE trees for longer than it saves
    (measured at 1M customers: 13 s of compiling for a 5 s statement). It does pay off
    on the facts aggregates (0.3 s of compiling), which run before this is set."""
    if is_pg():
        cursor.execute("SET LOCAL jit = off")


def _days_since(column: str) -> str:
    if is_pg():
        return f"(%s::date - f.{column})"
    return f"CAST(julianday(%s) - julianday(f.{column}) AS INTEGER)"


def temp_table(name: str, select: str) -> str:
    """CREATE TEMP TABLE … AS; on PostgreSQL dropped with the transaction."""
    drop = "ON COMMIT DROP " if is_pg() else ""
    return f"CREATE TEMP TABLE {name} {drop}AS {select}"


def batch_settings() -> None:
    """A run is one batch job: on PostgreSQL its hash joins and sorts get the memory to
    stay in RAM (the default 4 MB spills every sort of a nightly run to disk), and
    index lookups are priced as on cached or solid-state storage: with the default
    cost of a random page the planner scans two million contacts rather than look up
    the 27k customers a nightly run rebuilds (measured: 1.0 s against 0.5 s).

    Its commit does not wait for the disk (`synchronous_commit` off). If the server
    crashes in the instant after, the run is lost whole, never in part: its scores,
    history, maturity moves and the change-log rows it settled go together, so the
    next run finds the log as it was and does the same work again. Every other
    transaction keeps the server's setting."""
    if is_pg():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute(f"SET LOCAL random_page_cost = {RANDOM_PAGE_COST}")
            cursor.execute("SET LOCAL synchronous_commit = off")


@contextmanager
def lookups_by_key(few: bool) -> Iterator[None]:
    """Join the stage to the score table by primary-key lookups when it holds `few` of
    its rows (a nightly run). The planner otherwise hashes the whole score table for
    a small stage (measured at 1M customers: 1.9 s of a 5 s merge of 184k rows)."""
    if not (few and is_pg()):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        try:
            yield
        finally:
            cursor.execute("SET LOCAL enable_hashjoin = DEFAULT")
            cursor.execute("SET LOCAL enable_mergejoin = DEFAULT")


def create_temp(
    cursor: Any,
    name: str,
    select: str,
    params: Sequence[Any] = (),
    keys: Sequence[str] = ("customer_id",),
) -> int:
    """(Re)create temporary table `name` from `select` and return its rows. On PostgreSQL
    its join `keys` are analyzed: without statistics the planner guesses a temporary
    table's size and, joining it with a large table, hashes the wrong side (measured
    at 1M customers: the merge hashed the whole score table for 156k staged rows)."""
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(temp_table(name, select), list(params) or None)
    if is_pg():
        cursor.execute(f"ANALYZE {name} ({', '.join(keys)})")
    cursor.execute(f"SELECT COUNT(*) FROM {name}")  # noqa: S608 - our own names
    return int(cursor.fetchone()[0])


def analyze(tables: Sequence[str]) -> None:
    """Fresh planner statistics for tables a full run rewrote (PostgreSQL; autovacuum
    would catch up later, but the next nightly run plans its joins on them)."""
    if is_pg():
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


def drop_tables() -> None:
    with connection.cursor() as cursor:
        for table in (ORDERS, FACTS, PRIOR, STAGE):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def build_order_facts(as_of: dt.date, std: Standard) -> None:
    """The order facts of every customer with orders: the one pass over the orders."""
    sql, params = order_facts_query(as_of, std)
    with connection.cursor() as cursor:
        create_temp(cursor, ORDERS, sql, params)


def build_facts(as_of: dt.date, candidates: str | None = None) -> int:
    """The run's facts table: the stored facts (facts.COLUMNS) plus the day offsets
    rec/ten/dsi/age, of every scored customer or of those in the table `candidates`,
    and their stored dimensions (PRIOR); returns rows."""
    day = connection.ops.adapt_datefield_value(as_of)
    offsets = ", ".join(
        f"{_days_since(col)} AS {name}"
        for col, name in (
            ("last_on", "rec"),
            ("first_on", "ten"),
            ("last_int_on", "dsi"),
            ("created_on", "age"),
        )
    )
    where = (
        f"WHERE customer_id IN (SELECT customer_id FROM {candidates})"  # noqa: S608
        if candidates
        else ""
    )
    select = f"SELECT f.*, {offsets} FROM {STORED} f {where}"  # noqa: S608
    dims = ", ".join(("customer_id", "standard_version", "reasons", *DIMENSIONS))
    with connection.cursor() as cursor:
        rows = create_temp(cursor, FACTS, select, [day, day, day, day])
        # The score table read once: the moved customers and the new ones come from it.
        create_temp(cursor, PRIOR, f"SELECT {dims} FROM {SCORE_TABLE} {where}")  # noqa: S608
        return rows


def buyers_query(as_of: dt.date, table: str = STORED) -> tuple[str, list[Any]]:
    """The scored customers with orders, from the stored facts (or another table with
    their order columns, e.g. ORDERS): customer_id, last_on, rec, n_days, sales,
    profit_x — what the cut-offs and R/F/M read."""
    day = connection.ops.adapt_datefield_value(as_of)
    sql = (
        f"SELECT f.customer_id, f.last_on, {_days_since('last_on')} AS rec, f.n_days, "  # noqa: S608
        f"f.sales, f.profit_x FROM {table} f WHERE f.last_on IS NOT NULL"
    )
    return sql, [day]


def _order_stats(
    column: str, n: int, asc_ranks: Sequence[int], needs: Sequence[int | None]
) -> tuple[list[int], list[int | None]]:
    """From the buyers in BUYERS: the values of `column` at ascending ranks, and for each
    running-sum need the value of the first buyer (descending) whose running sum
    reaches it (population.pareto_cutoff); a need never reached gives the smallest
    value, as pareto_cutoff does. One sort in the database, a handful of values back."""
    wanted = [need for need in needs if need is not None]
    if not asc_ranks and not wanted:
        return [], [None] * len(needs)
    if is_pg():
        values, reached = _order_stats_sql(column, n, asc_ranks, wanted)
    else:
        values, reached = _order_stats_sorted(column, n, asc_ranks, wanted)
    found = iter(reached)
    return values, [None if need is None else next(found) for need in needs]


def _order_stats_sql(
    column: str, n: int, asc_ranks: Sequence[int], wanted: Sequence[int]
) -> tuple[list[int], list[int | None]]:
    """PostgreSQL: window functions, one row back. The first reaching buyer has the
    largest value of all that reach (values fall and, until they turn negative, the
    running sum grows), so MAX finds it."""
    picks = [f"MAX(CASE WHEN rd = {n - rank + 1} THEN x END)" for rank in asc_ranks]
    picks += [f"COALESCE(MAX(CASE WHEN cum >= {int(need)} THEN x END), MIN(x))" for need in wanted]
    cum = (
        f", SUM({column}) OVER (ORDER BY {column} DESC "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum"
        if wanted
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(picks)} FROM (SELECT {column} AS x, "  # noqa: S608 - integers
            f"ROW_NUMBER() OVER (ORDER BY {column} DESC) AS rd{cum} FROM {BUYERS}) t"
        )
        row = [None if v is None else int(v) for v in cursor.fetchone()]
    return [int(v) for v in row[: len(asc_ranks)]], row[len(asc_ranks) :]  # type: ignore[arg-type]


def _order_stats_sorted(
    column: str, n: int, asc_ranks: Sequence[int], wanted: Sequence[int]
) -> tuple[list[int], list[int | None]]:
    """SQLite: the column sorted by the database, ranks and running sums read in Python;
    SQLite's window functions cost more than the sort (the cut-offs of 105k buyers:
    0.198 s with them, 0.174 s without)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {BUYERS} ORDER BY {column} DESC")  # noqa: S608
        desc = [int(row[0]) for row in cursor.fetchall()]
    values = [desc[n - rank] for rank in asc_ranks]
    running = list(zip(desc, accumulate(desc), strict=True))
    reached: list[int | None] = []
    for need in wanted:
        first = next((x for x, cum in running if cum >= need), None)
        reached.append(desc[-1] if first is None and desc else first)
    return values, reached


def _values_at_ranks(column: str, asc_ranks: Sequence[int]) -> list[int]:
    """Values of a column with few distinct values (days) at ascending ranks, from
    (value, count) pairs: a hash aggregate instead of a sort of every buyer."""
    if not asc_ranks:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}, COUNT(*) FROM {BUYERS} GROUP BY {column} ORDER BY {column}"  # noqa: S608
        )
        pairs = cursor.fetchall()
    out, seen, wanted = [], 0, iter(asc_ranks)
    rank = next(wanted)
    for value, count in pairs:
        seen += int(count)
        while rank is not None and rank <= seen:
            out.append(int(value))
            rank = next(wanted, None)
    return out


def cutoffs(std: Standard, as_of: dt.date, table: str = STORED) -> Cutoffs:
    """Population cut-offs (population.cutoffs_from_columns) from the buyers' columns
    of the stored facts (or `table`), copied once into a narrow table; each column is
    sorted once by the database and only the values at the cut-off ranks come back."""
    sql, params = buyers_query(as_of, table)
    narrow = f"SELECT rec, n_days, sales, profit_x FROM ({sql}) b"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BUYERS}")
        cursor.execute(temp_table(BUYERS, narrow), params)
        cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(sales), 0) FROM {BUYERS}")  # noqa: S608
        n, total = (int(v) for v in cursor.fetchone())
    quintiles = quantile_ranks(n)
    methods, fixed = std.rfm_methods, std.rfm_fixed

    def rfm(metric: str, column: str) -> tuple[int, ...]:
        if methods[metric] != "quintile":
            return fixed[metric]
        return tuple(_values_at_ranks(column, quintiles))

    tops = [top_share_rank(n, share) for _code, share in std.pyramid_top_pct]
    top_ranks = [n - rank + 1 for rank in tops if rank is not None]  # ascending
    needs = [pareto_need(total, share) for share in std.abc_pct]
    pyramid_column = "profit_x" if std.pyramid_metric == "profit" else "sales"
    by_quintile = methods["monetary"] == "quintile"
    m_ranks = quintiles if by_quintile else ()
    if pyramid_column == "sales":
        values, abc = _order_stats("sales", n, [*m_ranks, *top_ranks], needs)
        monetary, top_values = values[: len(m_ranks)], values[len(m_ranks) :]
    else:
        monetary, abc = _order_stats("sales", n, m_ranks, needs)
        top_values = _order_stats("profit_x", n, top_ranks, [])[0]
    found = iter(top_values)
    result = Cutoffs(
        recency=rfm("recency", "rec"),
        frequency=rfm("frequency", "n_days"),
        monetary=tuple(monetary) if by_quintile else fixed["monetary"],
        pyramid=tuple(None if rank is None else next(found) for rank in tops),
        abc=tuple(abc),
        population=n,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {BUYERS}")
    return result


def stage_scores(std: Standard, cut: Cutoffs, as_of: dt.date, now: dt.datetime) -> int:
    """Every score column of every customer into the stage table; returns rows."""
    stamp = now.isoformat() if is_pg() else str(connection.ops.adapt_datetimefield_value(now))
    select, _cols = score_select(std, cut, as_of, stamp, FACTS, is_pg())
    with connection.cursor() as cursor:
        _no_jit(cursor)
        return create_temp(cursor, STAGE, select)


def moved_rows() -> list[tuple[Any, ...]]:
    """(customer_id, stored standard_version, stored reasons, *stored DIMENSIONS,
    *staged DIMENSIONS, *facts.COLUMNS) of the customers already scored whose tier,
    grade, class or rating differs: joins of the run's own tables, with the facts the
    pure rules explain the moves from."""
    differs = " OR ".join(f"COALESCE(p.{d}, '') <> s.{d}" for d in DIMENSIONS)
    cols = ", ".join(
        ["s.customer_id", "p.standard_version", "p.reasons"]
        + [f"p.{d}" for d in DIMENSIONS]
        + [f"s.{d}" for d in DIMENSIONS]
        + [f"x.{c}" for c in COLUMNS]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM {STAGE} s "  # noqa: S608
            f"JOIN {PRIOR} p ON p.customer_id = s.customer_id "
            f"JOIN {FACTS} x ON x.customer_id = s.customer_id WHERE {differs} "
            "ORDER BY s.customer_id"
        )
        return cursor.fetchall()


def facts_where(condition: str, params: Sequence[Any], as_of: dt.date) -> list[Facts]:
    cols = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM {FACTS} WHERE {condition} ORDER BY customer_id",  # noqa: S608
            list(params),
        )
        return [row_to_facts(row, as_of) for row in cursor.fetchall()]


def new_maturity(now: dt.datetime, as_of: dt.date, version: int) -> int:
    """Unclassified customers start at class 0 (rules.maturity_auto), set-based,
    with one history row each. Returns rows written."""
    stamp = now if is_pg() else connection.ops.adapt_datetimefield_value(now)
    reason = json.dumps({"after": [["mt_new", {}]]})
    reason_sql = "CAST(%s AS jsonb)" if is_pg() else "%s"
    day = connection.ops.adapt_datefield_value(as_of)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CHANGE_TABLE} (customer_id, dimension, from_value, to_value, "  # noqa: S608
            "changed_at, as_of, cause, standard_version, changed_by_id, reason) "
            f"SELECT customer_id, 'maturity', '', '0', %s, %s, 'auto', %s, NULL, {reason_sql} "
            f"FROM {FACTS} WHERE maturity IS NULL",
            [stamp, day, version, reason],
        )
        cursor.execute(
            f"INSERT INTO {MATURITY_TABLE} (customer_id, value, since, set_by_id, reason, "  # noqa: S608
            "promise_made_on, promised_payment_on) "
            f"SELECT customer_id, '0', %s, NULL, '', NULL, NULL FROM {FACTS} "
            "WHERE maturity IS NULL",
            [stamp],
        )
        return cursor.rowcount


def broken_promises(as_of: dt.date) -> list[Facts]:
    """Facts of customers whose promised payment date passed unpaid (rules.maturity_auto)."""
    day = connection.ops.adapt_datefield_value(as_of)
    return facts_where(
        f"maturity IS NOT NULL AND maturity <> {lit('6')} AND promised IS NOT NULL "
        "AND promised < %s AND paid = 0",
        [day],
        as_of,
    )


def merge(columns: Sequence[str]) -> int:
    """The staged scores into the score table: rows whose content changed are updated,
    new customers (not in PRIOR) inserted; a row equal in all but `computed_at` and
    `as_of` is left alone, so a rerun on the same data, or a later day that changed
    nothing, writes nothing (a row's as_of is the reference date of the run that last
    changed it). Returns the rows written.

    PostgreSQL: one UPDATE … FROM, then the INSERT. SQLite: one INSERT … ON CONFLICT
    DO UPDATE; its UPDATE … FROM first copies the whole join into a scratch table
    (20k rows changed of 32k staged: 0.22 s against 0.19 s)."""
    payload = [c for c in columns if c != "customer_id"]
    compared = [c for c in payload if c not in ("computed_at", "as_of")]
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if not is_pg():
            differs = " OR ".join(f"NOT ({SCORE_TABLE}.{c} IS excluded.{c})" for c in compared)
            cursor.execute(
                f"INSERT INTO {SCORE_TABLE} ({cols}) SELECT {cols} FROM {STAGE} WHERE true "  # noqa: S608
                f"ON CONFLICT (customer_id) DO UPDATE SET "
                f"{', '.join(f'{c} = excluded.{c}' for c in payload)} WHERE {differs}"
            )
            return cursor.rowcount
        differs = " OR ".join(f"NOT (s.{c} IS NOT DISTINCT FROM st.{c})" for c in compared)
        sets = ", ".join(f"{c} = st.{c}" for c in payload)
        cursor.execute(
            f"UPDATE {SCORE_TABLE} AS s SET {sets} FROM {STAGE} st "  # noqa: S608
            f"WHERE s.customer_id = st.customer_id AND ({differs})"
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {SCORE_TABLE} ({cols}) SELECT {cols} FROM {STAGE} st "  # noqa: S608
            f"WHERE st.customer_id NOT IN (SELECT customer_id FROM {PRIOR})"
        )
        return updated + cursor.rowcount


def matrix_counts() -> dict[str, int]:
    """Scored customers per matrix label (the population: stored facts' customers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.matrix, COUNT(*) FROM {SCORE_TABLE} s "  # noqa: S608
            f"JOIN {STORED} f ON f.customer_id = s.customer_id GROUP BY s.matrix"
        )
        return {(m or "-"): int(n) for m, n in cursor.fetchall()}
