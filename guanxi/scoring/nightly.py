"""Stored facts and the nightly run's short list of customers to rescore.

A full run rebuilds `scoring_customerfacts` from the raw tables. A nightly run keeps it
and refreshes only the customers whose facts can have changed since the previous run:
  * those in the change log (every write a trigger saw, migration 0004);
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

from django.db import connection

from guanxi.customers.models import Customer, Interaction, Order

from . import fullrun
from .facts import COLUMNS, ID_TABLE, day_start, facts_query, order_window_edges
from .facts import sqlite_fixed_offset as _sqlite_offset
from .models import CustomerScore, ScoringRun
from .models_facts import CustomerFacts, FactsChange
from .results import Cutoffs
from .standard_types import Standard
from .thresholds import Band, day_bands, day_thresholds, value_bands, value_thresholds

FACTS_TABLE = CustomerFacts._meta.db_table
LOG_TABLE = FactsChange._meta.db_table
SCORE_TABLE = CustomerScore._meta.db_table
LOG = "scoring_run_log"  # the change-log rows this run read
CANDIDATES = "scoring_run_cands"
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
    write committed after this read stays logged for the next run)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LOG}")
        cursor.execute(
            fullrun.temp_table(LOG, f"SELECT id, customer_id FROM {LOG_TABLE}")  # noqa: S608
        )
        cursor.execute(f"SELECT COUNT(*) FROM {LOG}")  # noqa: S608
        return int(cursor.fetchone()[0])


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
    """SELECTs of the customers with a row on an edge that moved between the two
    reference dates: orders (`ordered_on >= as_of - k`, and `<= as_of`, i.e. k = -1),
    interactions (`occurred_at` from the start of as_of - j, j = I - 1, and before
    the end of as_of, j = -1) and customers created in between."""
    lo, hi = min(old_as_of, as_of), max(old_as_of, as_of)
    if lo == hi:
        return "", []
    days = dt.timedelta
    params: list[Any] = []
    orders = []
    for k in (-1, *order_window_edges(std)):  # an order dated d flips for lo-k <= d < hi-k
        orders.append("ordered_on BETWEEN %s AND %s")
        params += [_day(lo - days(days=k)), _day(hi - days(days=k + 1))]
    interactions = []
    for j in (-1, int(std.interaction_days) - 1):
        interactions.append("(occurred_at >= %s AND occurred_at < %s)")
        params += [_instant(lo - days(days=j)), _instant(hi - days(days=j))]
    params += [_instant(lo + days(days=1)), _instant(hi + days(days=1))]
    sql = (
        f" UNION SELECT customer_id FROM {Order._meta.db_table} WHERE {' OR '.join(orders)}"  # noqa: S608
        f" UNION SELECT customer_id FROM {Interaction._meta.db_table} "
        f"WHERE {' OR '.join(interactions)}"
        f" UNION SELECT id FROM {Customer._meta.db_table} "
        "WHERE created_at >= %s AND created_at < %s"
    )
    return sql, params


def refresh_ids(old_as_of: dt.date | None, as_of: dt.date, std: Standard) -> int:
    """The customers whose stored facts must be rebuilt, into ID_TABLE (needs
    take_log). With no previous run: every customer (the caller rebuilds all)."""
    edges, params = ("", []) if old_as_of is None else _edge_moves(old_as_of, as_of, std)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ID_TABLE}")
        cursor.execute(
            fullrun.temp_table(ID_TABLE, f"SELECT customer_id FROM {LOG}{edges}"),  # noqa: S608
            params,
        )
        cursor.execute(f"SELECT COUNT(*) FROM {ID_TABLE}")  # noqa: S608
        return int(cursor.fetchone()[0])


def store_facts(as_of: dt.date, std: Standard, *, everyone: bool) -> int:
    """Rebuild the stored facts of every customer (`everyone`) or of the customers in
    ID_TABLE, as of `as_of`; returns the stored rows (the scored population)."""
    cols = ", ".join(COLUMNS)
    offset = _sqlite_offset()
    with connection.cursor() as cursor:
        if everyone:
            fullrun.build_order_facts(as_of, std)
            sql, params = facts_query(as_of, std, "all", offset=offset, order_facts=fullrun.ORDERS)
            cursor.execute(f"DELETE FROM {FACTS_TABLE}")  # noqa: S608
        else:
            sql, params = facts_query(as_of, std, "table", offset=offset)
            cursor.execute(
                f"DELETE FROM {FACTS_TABLE} WHERE customer_id IN "  # noqa: S608
                f"(SELECT customer_id FROM {ID_TABLE})"
            )
        cursor.execute(f"INSERT INTO {FACTS_TABLE} ({cols}) {sql}", params)  # noqa: S608
        cursor.execute(f"SELECT COUNT(*) FROM {FACTS_TABLE}")  # noqa: S608
        return int(cursor.fetchone()[0])


def _value_column(name: str, std: Standard) -> str:
    if name == "pyramid":
        return "profit_x" if std.pyramid_metric == "profit" else "sales"
    return {"n_days": "n_days", "sales_m": "sales", "sales_abc": "sales"}[name]


def _band_sql(bands: list[Band], std: Standard, dates: bool) -> tuple[list[str], list[Any]]:
    conds, params = [], []
    for band in bands:
        column = band.column if dates else _value_column(band.column, std)
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
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(fullrun.temp_table(CANDIDATES, sql), params)
        cursor.execute(f"SELECT COUNT(*) FROM {CANDIDATES}")  # noqa: S608
        return int(cursor.fetchone()[0])


def drop_tables() -> None:
    with connection.cursor() as cursor:
        for table in (LOG, ID_TABLE, CANDIDATES):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
