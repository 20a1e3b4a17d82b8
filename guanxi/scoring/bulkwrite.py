"""Bulk writes outside the full run: COPY on PostgreSQL, executemany on SQLite
(history and maturity rows), the one-row upsert of the incremental path, and the
locks that keep score writers apart. The full run merges in SQL (fullrun.py).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _adapt(value: Any) -> Any:
    """Values for SQLite executemany: dates and instants in Django's text format."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def db_rows(rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """`rows` as insert_rows writes them: on SQLite with dates and instants as Django's
    text, each distinct one converted once (a run's history rows share one instant);
    PostgreSQL: as they are. Converting needs no query, so the history worker thread
    prepares its rows while the database merges (recompute._history)."""
    if is_postgres():
        return list(rows)
    done: dict[Any, Any] = {}

    def adapt(value: Any) -> Any:
        if not isinstance(value, dt.date):  # datetime is a date too
            return value
        out = done.get(value)
        if out is None:
            out = done[value] = _adapt(value)
        return out

    return [[adapt(v) for v in row] for row in rows]


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    prepared: bool = False,
) -> int:
    """Append rows to `table` (COPY on PostgreSQL, executemany on SQLite); `prepared`:
    the rows come from db_rows already."""
    cols = ", ".join(columns)
    count = 0
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - our own names
        ready = list(rows) if prepared else db_rows(rows)
        for start in range(0, len(ready), 5000):
            batch = ready[start : start + 5000]
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def upsert_one(table: str, key: str, columns: Sequence[str], row: Sequence[Any]) -> None:
    """The same merge for one row, without the staging table (incremental path)."""
    cols = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    values = list(row) if is_postgres() else [_adapt(v) for v in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}",
            values,
        )


def lock_all(tables: Sequence[str]) -> None:
    """Full recompute: keep other writers of scores out until we commit (PostgreSQL;
    SQLite transactions are already exclusive in IMMEDIATE mode)."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")


def lock_customer(tables: Sequence[str], customer_id: int) -> None:
    """One customer's write: wait for a running full recompute, and serialise
    writers of the same customer (PostgreSQL)."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ROW EXCLUSIVE MODE")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [5413, customer_id % 2**31])
