"""Working-day arithmetic on a configurable calendar. Pure: no Django.

A day is a working day when it is a make-up working day (调休上班), or when it is
not a weekend day and not a public holiday. Make-up days win over weekends;
a date listed as both holiday and make-up day counts as a make-up (working) day.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    makeup_days: frozenset[dt.date] = field(default_factory=frozenset)
    weekend: frozenset[int] = WEEKEND

    @classmethod
    def build(
        cls,
        holidays: Iterable[dt.date] = (),
        makeup_days: Iterable[dt.date] = (),
        weekend: Iterable[int] = WEEKEND,
    ) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(makeup_days), frozenset(weekend))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.makeup_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def previous_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the last working day before it."""
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n > 0) or before it (n < 0); `day` itself
        need not be a working day. n == 0 returns next_working_day(day)."""
        if n == 0:
            return self.next_working_day(day)
        step = dt.timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end] when end >= start; negative when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def add_months(day: dt.date, n: int) -> dt.date:
    """Same day n months later, clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + n
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = _cal.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def add_cycle(cal: WorkCalendar, day: dt.date, amount: int, unit: str) -> dt.date:
    """`day` plus a cadence cycle. unit: "workday" counts working days; "week" and
    "month" count calendar weeks/months and then move forward to a working day."""
    if amount <= 0:
        raise ValueError("a cycle must be positive")
    if unit == "workday":
        return cal.add_working_days(day, amount)
    if unit == "week":
        return cal.next_working_day(day + dt.timedelta(weeks=amount))
    if unit == "month":
        return cal.next_working_day(add_months(day, amount))
    raise ValueError(f"unknown cycle unit: {unit!r}")
