"""Stored facts and the nightly run's short list of customers to rescore.

A full run rebuilds `scoring_customerfacts` from the raw tables. A nightly run keeps it
and refreshes only the customers whose facts can have changed since the previous run:
  * those in the change log (every write a trigger saw, migrations 0004 and 0006):
    inserted orders and interactions are added to their stored facts, any other
    write rebuilds them;
  * those with an order on a window edge that moved with the reference date, or an
    interaction on an edge of the interaction window, or created in between.
It then rescores the refreshed customers plus those whose unchanged facts now sit
on the other side of a threshold (thresholds.py: day offsets and cut-offs) or whose
evaluation date came. Every other customer's stored scores are exactly what a full
run would store (tests/scoring/test_nightly.py), so the work follows the day's
changes, not the size of the book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection

from guanxi.core.localdates import local_date_sql
from guanxi.customers.models import Customer, Interaction, Order

from . import fullrun
from .facts import (
    ID_TABLE,
    QUARTER_COUNTS,
    STORED_COLUMNS,
    day_sql,
    day_start,
    facts_query,
    order_aggregates,
    order_columns,
    order_window_edges,
    quarter_bounds,
    vendor_sql,
)
from .facts import sqlite_fixed_offset as _sqlite_offset
from .models import CustomerMaturity, CustomerScore, ScoringRun
from .models_facts import CustomerFacts, FactsChange
from .results import Cutoffs
from .standard_types import Standard
from .thresholds import Band, day_bands, day_thresholds, value_bands, value_thresholds

FACTS_TABLE = CustomerFacts._meta.db_table
LOG_TABLE = FactsChange._meta.db_table
SCORE_TABLE = CustomerScore._meta.db_table
LOG = "scoring_run_log"  # the change-log rows this run read
CANDIDATES = "scoring_run_cands"
WINDOW = "scoring_run_window"  # stored customers whose facts only slide with the window
EDGE_ORDERS = "scoring_run_edge_orders"  # orders on a moved window edge
EDGE_TALKS = "scoring_run_edge_talks"  # interactions on the moved interaction-window edge
ORDERS_ADDED = "scoring_run_orders_added"  # orders the log names as inserted
TALKS_ADDED = "scoring_run_talks_added"  # interactions the log names as inserted
ADDED = "scoring_run_added"  # stored customers whose only changes are those inserts
# Triggers of migration 0004: three per watched table (insert, delete, update).
EXPECTED_TRIGGERS = 21
# Beyond this many days between two runs a full run is cheaper than the bands.
MAX_SLIDE_DAYS = 31


def triggers_missing() -> bool:
    """True when a change-log trigger is gone (an SQLite table remake drops them):
    the stored facts can no longer be trusted and the run must be full."""
    with connection.cursor() as cursor:
        if fullrun.is_pg():
            cursor.execute(
                "SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE 'scoring\\_fc\\_%%' "
                "AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'scoring\\_fc\\_%' ESCAPE '\\'"
            )
        return int(cursor.fetchone()[0]) < EXPECTED_TRIGGERS


def previous_run(std: Standard, as_of: dt.date) -> ScoringRun | None:
    """The run whose stored facts this one may build on, or None (then: full run).
    Runs before stored facts existed have no mode."""
    run = ScoringRun.objects.filter(status="done").exclude(mode="").order_by("-id").first()
    if (
        run is None
        or run.cutoffs is None
        or run.standard_version != std.version
        or abs((as_of - run.as_of).days) > MAX_SLIDE_DAYS
        or triggers_missing()
    ):
        return None
    return run


def take_log() -> int:
    """Read the change log as it stands (forget_log deletes exactly these rows, so a
    write committed after this read stays logged for the next run).

    The ids read are indexed, and analyzed on PostgreSQL. The log is a queue, so its
    own statistics are always stale (taken when it was empty, say). Guessing 200
    ids read, PostgreSQL deleted two million log rows (an import's) by as many index
    lookups, 22.8 s against 5.1 s by a hash join; guessing an empty log, it settled
    27k rows by scanning the ids read once per row, 34 s, where the index takes
    milliseconds. SQLite, without the index, scans them once per row as well."""
    with connection.cursor() as cursor:
        rows = fullrun.create_temp(
            cursor,
            LOG,
            f"SELECT id, customer_id, kind, row_id FROM {LOG_TABLE}",  # noqa: S608
            keys=("customer_id", "id"),
        )
        cursor.execute(f"CREATE INDEX {LOG}_id ON {LOG} (id)")
        return rows


def settle_log() -> None:
    """Log rows committed while this run read the records (after take_log) are turned
    into plain changes: the run may have read their rows already (PostgreSQL reads
    committed data statement by statement), so the next run must rebuild those
    customers rather than add the rows a second time. Call it after the last read of
    the records (store_facts); a row committed later was seen by no read of this run.
    NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN row by row against the whole log
    read once the ids no longer fit its hash memory (an import of ten million orders);
    the anti-join looks each id up (take_log indexes them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {LOG_TABLE} SET kind = {FactsChange.OTHER} "  # noqa: S608
            f"WHERE kind <> {FactsChange.OTHER} AND NOT EXISTS "
            f"(SELECT 1 FROM {LOG} r WHERE r.id = {LOG_TABLE}.id)"
        )


def forget_log() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LOG_TABLE} WHERE id IN (SELECT id FROM {LOG})")  # noqa: S608


@contextmanager
def facts_kept_current() -> Iterator[None]:
    """Writes inside this block keep the stored facts current themselves (the run's
    own maturity moves, see note_maturity_moves): their change-log rows are not
    written (PostgreSQL: the triggers check a transaction-local setting) or deleted
    (SQLite: the run holds the only write lock, so every row past the last one is
    its own)."""
    with connection.cursor() as cursor:
        if fullrun.is_pg():
            cursor.execute("SET LOCAL guanxi.facts_current = 'on'")
            try:
                yield
            finally:
                cursor.execute("SET LOCAL guanxi.facts_current = 'off'")
            return
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {LOG_TABLE}")  # noqa: S608
        last = int(cursor.fetchone()[0])
        yield
        cursor.execute(f"DELETE FROM {LOG_TABLE} WHERE id > %s", [last])  # noqa: S608


def note_maturity_moves(broken: Sequence[int]) -> None:
    """The stored facts after the run's maturity moves (fullrun.new_maturity: class 0
    for the unclassified; apply_maturity: class 6 for broken promises, promise cleared)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {FACTS_TABLE} SET maturity = '0' WHERE customer_id IN "  # noqa: S608
            f"(SELECT customer_id FROM {fullrun.FACTS} WHERE maturity IS NULL)"
        )
        for i in range(0, len(broken), 1000):
            chunk = list(broken[i : i + 1000])
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {FACTS_TABLE} SET maturity = '6', promised = NULL, paid = 0 "  # noqa: S608
                f"WHERE customer_id IN ({marks})",
                chunk,
            )


def _day(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _instant(day: dt.date) -> Any:
    return connection.ops.adapt_datetimefield_value(day_start(day))


def _edge_moves(old_as_of: dt.date, as_of: dt.date, std: Standard) -> tuple[str, list[Any]]:
    """SELECTs of the customers whose facts must be rebuilt because the reference
    date moved: an order dated between the two (it starts or stops counting:
    `ordered_on <= as_of`, k = -1), an interaction between them (j = -1: the last
    interaction may change) and customers created in between. Needs _added_rows."""
    lo, hi = min(old_as_of, as_of), max(old_as_of, as_of)
    if lo == hi:
        return "", []
    day = dt.timedelta(days=1)
    params = [_day(lo + day), _day(hi), _instant(lo + day), _instant(hi + day)]
    params += [_instant(lo + day), _instant(hi + day)]
    # rows the log names as inserted are added by apply_insert_deltas instead
    sql = (
        f" UNION SELECT customer_id FROM {Order._meta.db_table} "  # noqa: S608
        f"WHERE ordered_on BETWEEN %s AND %s AND id NOT IN (SELECT id FROM {ORDERS_ADDED})"
        f" UNION SELECT customer_id FROM {Interaction._meta.db_table} "
        f"WHERE occurred_at >= %s AND occurred_at < %s "
        f"AND id NOT IN (SELECT id FROM {TALKS_ADDED})"
        f" UNION SELECT id FROM {Customer._meta.db_table} "
        "WHERE created_at >= %s AND created_at < %s"
    )
    return sql, params


def _order_edges(lo: dt.date, hi: dt.date, std: Standard) -> tuple[str, list[Any]]:
    """Orders on an edge of the sales window, its recent half or a quarter that moved
    between lo and hi (`ordered_on >= as_of - k`: an order dated d flips for
    lo - k <= d < hi - k)."""
    conds, params = [], []
    for k in order_window_edges(std):
        conds.append("o.ordered_on BETWEEN %s AND %s")
        params += [_day(lo - dt.timedelta(days=k)), _day(hi - dt.timedelta(days=k + 1))]
    return "(" + " OR ".join(conds) + ")", params


def _interaction_edge(lo: dt.date, hi: dt.date, std: Standard) -> tuple[str, list[Any]]:
    """Interactions on the moved start of the interaction window (j = I - 1)."""
    j = dt.timedelta(days=int(std.interaction_days) - 1)
    return "(i.occurred_at >= %s AND i.occurred_at < %s)", [_instant(lo - j), _instant(hi - j)]


def _added_rows(cursor: Any) -> None:
    """The orders and interactions the log names as inserted and that still exist, into
    ORDERS_ADDED and TALKS_ADDED. An order's `fresh` says that no other order of its
    customer falls on its day (its day is a new order day). A row changed or deleted
    after its insert has a plain log row too, so its customer is rebuilt instead."""
    orders = Order._meta.db_table
    fullrun.create_temp(
        cursor,
        ORDERS_ADDED,
        f"SELECT o.id, {order_columns()}, "  # noqa: S608
        f"CASE WHEN (SELECT COUNT(*) FROM {orders} x WHERE x.customer_id = o.customer_id "
        "AND x.ordered_on = o.ordered_on) "
        "= COUNT(*) OVER (PARTITION BY o.customer_id, o.ordered_on) THEN 1 ELSE 0 END AS fresh "
        f"FROM {LOG} l JOIN {orders} o ON o.id = l.row_id "
        f"WHERE l.kind = {FactsChange.ORDER_ADDED}",
    )
    fullrun.create_temp(
        cursor,
        TALKS_ADDED,
        f"SELECT i.id, i.customer_id, i.occurred_at FROM {LOG} l "  # noqa: S608
        f"JOIN {Interaction._meta.db_table} i ON i.id = l.row_id "
        f"WHERE l.kind = {FactsChange.INTERACTION_ADDED}",
    )


def refresh_ids(old_as_of: dt.date | None, as_of: dt.date, std: Standard) -> int:
    """The customers whose stored facts must change, needs take_log. Into ID_TABLE:
    those rebuilt from the records (a plain change in the log, no stored facts yet, or
    _edge_moves); into ADDED: the other customers in the log, whose only changes are
    inserted orders and interactions (apply_insert_deltas adds them); into WINDOW: the
    other stored customers with an order or interaction on a moved window edge, whose
    facts slide (apply_window_deltas). Returns how many in all. With no previous run:
    every customer (the caller rebuilds all)."""
    with connection.cursor() as cursor:
        for table in (WINDOW, EDGE_ORDERS, EDGE_TALKS, ORDERS_ADDED, TALKS_ADDED, ADDED):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if old_as_of is None:
            return fullrun.create_temp(cursor, ID_TABLE, f"SELECT customer_id FROM {LOG}")  # noqa: S608
        _added_rows(cursor)
        edges, params = _edge_moves(old_as_of, as_of, std)
        ids = (
            f"SELECT customer_id FROM {LOG} WHERE kind = {FactsChange.OTHER} "  # noqa: S608
            f"UNION SELECT customer_id FROM {LOG} l WHERE NOT EXISTS "
            f"(SELECT 1 FROM {FACTS_TABLE} f WHERE f.customer_id = l.customer_id){edges}"
        )
        rebuilt = fullrun.create_temp(cursor, ID_TABLE, ids, params)
        added = fullrun.create_temp(
            cursor,
            ADDED,
            f"SELECT DISTINCT customer_id FROM {LOG} "  # noqa: S608
            f"WHERE customer_id NOT IN (SELECT customer_id FROM {ID_TABLE})",
        )
        if old_as_of == as_of:
            return rebuilt + added
        lo, hi = min(old_as_of, as_of), max(old_as_of, as_of)
        orders, o_params = _order_edges(lo, hi, std)
        talks, i_params = _interaction_edge(lo, hi, std)
        # The edge rows, read once through the date indexes: they decide who slides
        # and by how much (apply_window_deltas). Inserted rows are not in the stored
        # facts yet: they are added, not slid.
        fullrun.create_temp(
            cursor,
            EDGE_ORDERS,
            f"SELECT {order_columns()} "  # noqa: S608
            f"FROM {Order._meta.db_table} o WHERE {orders} "
            f"AND o.id NOT IN (SELECT id FROM {ORDERS_ADDED})",
            o_params,
        )
        fullrun.create_temp(
            cursor,
            EDGE_TALKS,
            f"SELECT i.customer_id, i.occurred_at FROM {Interaction._meta.db_table} i "  # noqa: S608
            f"WHERE {talks} AND i.id NOT IN (SELECT id FROM {TALKS_ADDED})",
            i_params,
        )
        sliding = (
            f"SELECT customer_id FROM {EDGE_ORDERS} "  # noqa: S608
            f"UNION SELECT customer_id FROM {EDGE_TALKS}"
        )
        slid = fullrun.create_temp(
            cursor,
            WINDOW,
            f"SELECT customer_id FROM ({sliding}) s "  # noqa: S608
            # Stored facts by key lookups (IN hashes all of them: 0.8 s at 1M); the
            # temporary table with IN (SQLite probes an unindexed temporary table once
            # per row for a correlated EXISTS: 17 s at 200k customers, 0.1 s with IN)
            f"WHERE EXISTS (SELECT 1 FROM {FACTS_TABLE} f WHERE f.customer_id = s.customer_id) "
            f"AND customer_id NOT IN (SELECT customer_id FROM {ID_TABLE})",
        )
        cursor.execute(
            f"SELECT COUNT(*) FROM {ADDED} "  # noqa: S608
            f"WHERE customer_id NOT IN (SELECT customer_id FROM {WINDOW})"
        )
        return rebuilt + slid + int(cursor.fetchone()[0])


def store_facts(
    as_of: dt.date, std: Standard, *, since: dt.date | None, stored: int | None = None
) -> int:
    """Rebuild the stored facts of every customer (`since` None: no previous run) or
    of the customers in ID_TABLE, slide those in WINDOW from `since` to `as_of` and
    add the inserted rows of those in ADDED; afterwards ID_TABLE holds all three.
    Returns the stored rows (the scored population), counted from the rows deleted
    and inserted when the previous run's count is given as `stored` (counting a
    million rows costs most of a second)."""
    cols = ", ".join(STORED_COLUMNS)
    offset = _sqlite_offset()
    with connection.cursor() as cursor:
        if since is None:
            fullrun.build_order_facts(as_of, std)
            sql, params = facts_query(as_of, std, "all", offset=offset, order_facts=fullrun.ORDERS)
            cursor.execute(f"DELETE FROM {FACTS_TABLE}")  # noqa: S608
            stored = 0
        else:
            sql, params = facts_query(as_of, std, "table", offset=offset)
            cursor.execute(
                f"DELETE FROM {FACTS_TABLE} WHERE customer_id IN "  # noqa: S608
                f"(SELECT customer_id FROM {ID_TABLE})"
            )
            if stored is not None:
                stored -= cursor.rowcount
        cursor.execute(f"INSERT INTO {FACTS_TABLE} ({cols}) {sql}", params)  # noqa: S608
        if stored is not None:
            stored += cursor.rowcount
        if since is not None:
            if since != as_of:
                apply_window_deltas(since, as_of, std)
                cursor.execute(f"INSERT INTO {ID_TABLE} SELECT customer_id FROM {WINDOW}")  # noqa: S608
            apply_insert_deltas(as_of, std, offset)
            cursor.execute(
                f"INSERT INTO {ID_TABLE} SELECT customer_id FROM {ADDED} "  # noqa: S608
                f"WHERE customer_id NOT IN (SELECT customer_id FROM {ID_TABLE})"
            )
            if fullrun.is_pg():
                cursor.execute(f"ANALYZE {ID_TABLE} (customer_id)")
        if stored is None:
            cursor.execute(f"SELECT COUNT(*) FROM {FACTS_TABLE}")  # noqa: S608
            stored = int(cursor.fetchone()[0])
        return stored


def _flag(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _update_facts(sets: str, per_customer: str, params: Sequence[Any] = ()) -> None:
    """UPDATE the stored facts `f` from a SELECT `d` with one row per customer."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {FACTS_TABLE} AS f SET {sets} FROM ({per_customer}) d "  # noqa: S608
            "WHERE f.customer_id = d.customer_id",
            list(params) or None,
        )


def apply_window_deltas(old_as_of: dt.date, as_of: dt.date, std: Standard) -> None:
    """Slide the windowed facts of the customers in WINDOW from old_as_of to as_of:
    each windowed sum and count changes by the orders (interactions) on the moved
    edges only, counted in the window at the new date minus at the old one. Distinct
    order days move whole days at a time, so their count slides too; active quarters
    follow from the per-quarter order counts. (Their other facts cannot have changed:
    a change would be in the log, and a date between the two runs is an edge of
    _edge_moves; both put the customer in ID_TABLE instead.)"""
    w = int(std.sales_days)
    v = vendor_sql()
    total = v["sum"]

    def since(day: dt.date, days: int) -> str:  # the order is at most `days` before `day`
        return f"o.day >= {day_sql(day - dt.timedelta(days=days))}"

    def flags(day: dt.date) -> dict[str, str]:
        counted = f"o.day <= {day_sql(day)}"
        out = {
            "w": _flag(f"{counted} AND {since(day, w - 1)}"),
            "r": _flag(f"{counted} AND {since(day, (w - 1) // 2)}"),
        }
        for name, (fewest, most) in zip(QUARTER_COUNTS, quarter_bounds(w), strict=True):
            older = f" AND NOT {since(day, fewest - 1)}" if fewest else ""
            out[name] = _flag(f"{counted} AND {since(day, most)}{older}")
        return out

    new, old = flags(as_of), flags(old_as_of)
    moved = {name: f"({new[name]} - {old[name]})" for name in new}
    margin = "(CASE WHEN o.bp IS NOT NULL THEN o.cents ELSE 0 END)"
    profit = "(CASE WHEN o.bp IS NOT NULL THEN o.cents * o.bp ELSE 0 END)"
    entering = f"{new['w']} = 1 AND {old['w']} = 0"
    leaving = f"{new['w']} = 0 AND {old['w']} = 1"
    deltas = f"""
SELECT o.customer_id,
  {total.format(f"o.cents * {moved['w']}")} AS d_sales,
  {total.format(f"o.cents * {moved['r']}")} AS d_recent,
  {total.format(f"o.cents * ({moved['w']} - {moved['r']})")} AS d_previous,
  {total.format(f"{margin} * {moved['w']}")} AS d_margin_base,
  {total.format(f"{profit} * {moved['w']}")} AS d_profit_x,
  COUNT(DISTINCT CASE WHEN {entering} THEN o.day END)
    - COUNT(DISTINCT CASE WHEN {leaving} THEN o.day END) AS d_days,
  {", ".join(f"SUM({moved[c]}) AS d_{c}" for c in QUARTER_COUNTS)}
FROM {EDGE_ORDERS} o
WHERE o.customer_id IN (SELECT customer_id FROM {WINDOW})
GROUP BY o.customer_id"""  # noqa: S608 - table names, integers and dates only
    active = " + ".join(
        f"(CASE WHEN f.{c} + d.d_{c} > 0 THEN 1 ELSE 0 END)" for c in QUARTER_COUNTS
    )
    sets = ", ".join(
        [
            "sales = f.sales + d.d_sales",
            "recent = f.recent + d.d_recent",
            "previous = f.previous + d.d_previous",
            "margin_base = f.margin_base + d.d_margin_base",
            "profit_x = f.profit_x + d.d_profit_x",
            "n_days = f.n_days + d.d_days",
            *(f"{c} = f.{c} + d.d_{c}" for c in QUARTER_COUNTS),
            f"quarters = {active}",
        ]
    )

    def window(day: dt.date) -> list[Any]:  # the interaction window's instants
        first = day - dt.timedelta(days=int(std.interaction_days) - 1)
        return [_instant(first), _instant(day + dt.timedelta(days=1))]

    recent_talks = f"""
SELECT i.customer_id,
  SUM((CASE WHEN i.occurred_at >= %s AND i.occurred_at < %s THEN 1 ELSE 0 END)
    - (CASE WHEN i.occurred_at >= %s AND i.occurred_at < %s THEN 1 ELSE 0 END)) AS d_recent
FROM {EDGE_TALKS} i
WHERE i.customer_id IN (SELECT customer_id FROM {WINDOW})
GROUP BY i.customer_id"""  # noqa: S608
    _update_facts(sets, deltas)
    _update_facts(
        "n_recent = f.n_recent + d.d_recent", recent_talks, [*window(as_of), *window(old_as_of)]
    )


def apply_insert_deltas(as_of: dt.date, std: Standard, offset: int | None) -> None:
    """Add the inserted orders and interactions (ORDERS_ADDED, TALKS_ADDED) of the
    customers in ADDED to their stored facts, already at `as_of` (slid first): sums
    and counts grow by the rows' own facts at as_of, first/last dates widen, an order
    day counts if no other order of the customer falls on it, and `paid` follows the
    new last order. Rows dated after as_of count nothing yet: a later run's
    _edge_moves rebuilds their customers when the date passes them."""
    day = day_sql(as_of)
    active = " + ".join(f"(CASE WHEN f.{c} + d.{c} > 0 THEN 1 ELSE 0 END)" for c in QUARTER_COUNTS)
    widened = {
        "first_on": "CASE WHEN f.first_on IS NULL OR d.first_on < f.first_on "
        "THEN d.first_on ELSE f.first_on END",
        "last_on": "CASE WHEN f.last_on IS NULL OR d.last_on > f.last_on "
        "THEN d.last_on ELSE f.last_on END",
    }
    summed = ("n_all", "n_days", "sales", "recent", "previous", "margin_base", "profit_x")
    promise = (
        f"(SELECT m.promise_made_on FROM {CustomerMaturity._meta.db_table} m "  # noqa: S608
        "WHERE m.customer_id = f.customer_id)"
    )
    sets = ", ".join(
        [
            *(f"{c} = {expr}" for c, expr in widened.items()),
            *(f"{c} = f.{c} + d.{c}" for c in (*summed, *QUARTER_COUNTS)),
            f"quarters = {active}",
            f"paid = CASE WHEN ({widened['last_on']}) >= {promise} THEN 1 ELSE 0 END",
        ]
    )
    orders = f"""
SELECT o.customer_id, {order_aggregates(as_of, std, fresh="o.fresh = 1")}
FROM {ORDERS_ADDED} o
WHERE o.day <= {day} AND o.customer_id IN (SELECT customer_id FROM {ADDED})
GROUP BY o.customer_id"""  # noqa: S608 - table names, integers and dates only
    last_on, last_params = local_date_sql("MAX(i.occurred_at)", settings.TIME_ZONE, offset)
    recent = as_of - dt.timedelta(days=int(std.interaction_days) - 1)
    talks = f"""
SELECT i.customer_id, {last_on} AS last_on,
  SUM(CASE WHEN i.occurred_at >= %s THEN 1 ELSE 0 END) AS n_recent
FROM {TALKS_ADDED} i
WHERE i.occurred_at < %s AND i.customer_id IN (SELECT customer_id FROM {ADDED})
GROUP BY i.customer_id"""  # noqa: S608
    _update_facts(sets, orders)
    _update_facts(
        "last_int_on = CASE WHEN f.last_int_on IS NULL OR d.last_on > f.last_int_on "
        "THEN d.last_on ELSE f.last_int_on END, n_recent = f.n_recent + d.n_recent",
        talks,
        [*last_params, _instant(recent), _instant(as_of + dt.timedelta(days=1))],
    )


def _value_column(name: str, std: Standard) -> str:
    if name == "pyramid":
        return "profit_x" if std.pyramid_metric == "profit" else "sales"
    return {"n_days": "n_days", "sales_m": "sales", "sales_abc": "sales"}[name]


def _as_text(column: str) -> str:
    """A stored date column as its ISO text. SQLite gives date columns numeric
    affinity, so comparing one with a date parameter converts the parameter again for
    every row; unary + drops the affinity and the texts compare as they are (the
    candidates' scan of 200k stored facts: 0.12 s against 0.06 s)."""
    return column if fullrun.is_pg() else f"+{column}"


def _band_sql(bands: list[Band], std: Standard, dates: bool) -> tuple[list[str], list[Any]]:
    conds, params = [], []
    for band in bands:
        column = _as_text(band.column) if dates else _value_column(band.column, std)
        conds.append(f"{column} BETWEEN %s AND %s")
        if dates:
            params += [_day(band.low), _day(band.high)]  # type: ignore[arg-type]
        else:
            params += [band.low, band.high]
    return conds, params


def _evaluation_due(std: Standard, old_as_of: dt.date, as_of: dt.date) -> tuple[str, list[Any]]:
    """Score rows whose evaluation date is no longer the next one (rules.next_evaluation):
    it came (moving forward) or is more than a cycle ahead (moving back)."""
    if as_of > old_as_of:
        return "next_evaluation_on <= %s", [_day(as_of)]
    if as_of == old_as_of:
        return "", []
    parts, params = [], []
    for grade in std.health_grades:
        cycle = int(grade.extra["next_days"])
        parts.append("(health_grade = %s AND next_evaluation_on > %s)")
        params += [grade.code, _day(as_of + dt.timedelta(days=cycle))]
    return " OR ".join(parts), params


def build_candidates(run: ScoringRun, as_of: dt.date, std: Standard, cut: Cutoffs) -> int | None:
    """The customers to rescore into CANDIDATES (needs refresh_ids); None when the
    thresholds of the two runs do not pair up and everyone must be rescored."""
    old_cut = Cutoffs.from_json(run.cutoffs)
    days = day_bands(day_thresholds(std, old_cut), day_thresholds(std, cut), run.as_of, as_of)
    values = value_bands(value_thresholds(old_cut), value_thresholds(cut))
    if days is None or values is None:
        return None
    day_conds, day_params = _band_sql(days, std, dates=True)
    value_conds, value_params = _band_sql(values, std, dates=False)
    if value_conds:  # only buyers are placed against value cut-offs (rules.rfm, pyramid, abc)
        value_conds = [f"(last_on IS NOT NULL AND ({' OR '.join(value_conds)}))"]
    conds = day_conds + value_conds
    sql = f"SELECT customer_id FROM {ID_TABLE}"  # noqa: S608
    params: list[Any] = []
    if conds:
        sql += f" UNION SELECT customer_id FROM {FACTS_TABLE} WHERE {' OR '.join(conds)}"  # noqa: S608
        params += day_params + value_params
    due, due_params = _evaluation_due(std, run.as_of, as_of)
    if due:
        sql += f" UNION SELECT customer_id FROM {SCORE_TABLE} WHERE {due}"  # noqa: S608
        params += due_params
    with connection.cursor() as cursor:
        return fullrun.create_temp(cursor, CANDIDATES, sql, params)


def drop_tables() -> None:
    with connection.cursor() as cursor:
        for table in (
            LOG, ID_TABLE, WINDOW, EDGE_ORDERS, EDGE_TALKS, ORDERS_ADDED, TALKS_ADDED, ADDED,
            CANDIDATES,
        ):  # fmt: skip
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
