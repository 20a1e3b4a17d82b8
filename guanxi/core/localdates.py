"""Local calendar dates of stored instants, computed in SQL.

PostgreSQL converts with AT TIME ZONE. SQLite stores UTC text: when the zone keeps
one UTC offset over the whole span of the data, the date is shifted natively
(`date(col, '+28800 seconds')`); otherwise Django's registered Python function
converts each value, which is correct across daylight-saving changes but slower.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection


def fixed_offset(start: dt.datetime | None, end: dt.datetime | None, tz: dt.tzinfo) -> int | None:
    """`tz`'s UTC offset in seconds when it is the same all through [start, end]
    (probed daily: no zone changes its offset twice within a day), else None."""
    if start is None or end is None:
        return 0
    offsets = set()
    day = start
    while day <= end + dt.timedelta(days=1):
        offsets.add(day.astimezone(tz).utcoffset())
        if len(offsets) > 1:
            return None
        day += dt.timedelta(days=1)
    return int(offsets.pop().total_seconds())


def local_date_sql(column: str, tzname: str, offset: int | None = None) -> tuple[str, tuple]:
    """SQL for the local date of `column` in zone `tzname`, with its parameters.
    `offset` (SQLite only) is a fixed offset from `fixed_offset` known to hold."""
    if offset is not None and connection.vendor == "sqlite":
        return f"date({column}, '{int(offset):+d} seconds')", ()
    sql, params = connection.ops.datetime_cast_date_sql(column, (), tzname)
    return sql, tuple(params)


def sqlite_offset(spans: list[tuple[dt.datetime | None, dt.datetime | None]], tzname: str):
    """The fixed offset over the union of `spans` (min, max pairs), or None."""
    lows = [a for a, _b in spans if a is not None]
    highs = [b for _a, b in spans if b is not None]
    return fixed_offset(min(lows, default=None), max(highs, default=None), ZoneInfo(tzname))
