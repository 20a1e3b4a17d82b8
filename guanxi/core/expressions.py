"""Database expressions the models store as generated columns."""

import datetime as dt
from typing import Any

from django.db.models import Func, IntegerField

EPOCH = dt.date(1970, 1, 1)  # day 0 of EpochDay
# EPOCH as a Julian day number at midnight (SQLite's julianday()).
JULIAN_EPOCH = 2440587.5


def epoch_day(day: dt.date) -> int:
    """What EpochDay stores for `day`."""
    return (day - EPOCH).days


class EpochDay(Func):
    """Days from 1970-01-01 to a date, as an integer (negative before it).

    The scoring run compares order dates with a dozen window edges per order. SQLite
    keeps dates as text in a column of numeric affinity and converts the other side
    of every such comparison per row; integers compare directly (order pass at 2M
    orders: docs/benchmarks.md §5)."""

    arity = 1
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = f"CAST(julianday(%(expressions)s) - {JULIAN_EPOCH} AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = f"(%(expressions)s - DATE '{EPOCH.isoformat()}')"
        return self.as_sql(compiler, connection, template=template, **extra)
