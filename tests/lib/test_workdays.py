"""guanxi.lib.workdays: weekends, holidays, make-up days, month ends (no database)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.lib.workdays import WorkCalendar, add_cycle, add_months

D = dt.date
# 2026 Spring Festival: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are make-up working days
SPRING = WorkCalendar.build(
    holidays=[D(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)],
    makeup_days=[D(2026, 2, 14), D(2026, 2, 28)],
)
PLAIN = WorkCalendar()


def test_weekdays_work_weekends_do_not():
    assert PLAIN.is_working_day(D(2026, 11, 27))  # Friday
    assert not PLAIN.is_working_day(D(2026, 11, 28))  # Saturday
    assert not PLAIN.is_working_day(D(2026, 11, 29))  # Sunday


def test_add_working_days_skips_weekend():
    assert PLAIN.add_working_days(D(2026, 11, 27), 1) == D(2026, 11, 30)  # Fri → Mon
    assert PLAIN.add_working_days(D(2026, 11, 28), 1) == D(2026, 11, 30)  # Sat → Mon
    assert PLAIN.add_working_days(D(2026, 11, 23), 5) == D(2026, 11, 30)


def test_holidays_are_skipped_and_makeup_days_count():
    assert SPRING.is_working_day(D(2026, 2, 14))  # a Saturday, make-up day
    assert not SPRING.is_working_day(D(2026, 2, 16))  # a Monday, holiday
    assert SPRING.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)  # Fri → make-up Sat
    assert SPRING.add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)  # over the holiday
    assert SPRING.add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)  # make-up Sat


def test_makeup_day_wins_over_holiday_listing():
    cal = WorkCalendar.build(holidays=[D(2026, 3, 2)], makeup_days=[D(2026, 3, 2)])
    assert cal.is_working_day(D(2026, 3, 2))


def test_backwards_and_zero():
    assert PLAIN.add_working_days(D(2026, 11, 30), -1) == D(2026, 11, 27)
    assert PLAIN.add_working_days(D(2026, 11, 28), 0) == D(2026, 11, 30)
    assert PLAIN.previous_working_day(D(2026, 11, 29)) == D(2026, 11, 27)
    assert SPRING.next_working_day(D(2026, 2, 15)) == D(2026, 2, 24)


def test_working_days_between():
    assert PLAIN.working_days_between(D(2026, 11, 27), D(2026, 11, 30)) == 1
    assert PLAIN.working_days_between(D(2026, 11, 30), D(2026, 11, 27)) == -1
    assert SPRING.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert PLAIN.working_days_between(D(2026, 1, 1), D(2026, 1, 1)) == 0


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 5, 15), 12, D(2027, 5, 15)),
    ],
)
def test_add_months_clamps_to_month_end(day, n, expected):
    assert add_months(day, n) == expected


def test_cycles_by_unit():
    assert add_cycle(PLAIN, D(2026, 11, 27), 2, "workday") == D(2026, 12, 1)
    assert add_cycle(PLAIN, D(2026, 11, 21), 1, "week") == D(2026, 11, 30)  # Sat+7 → Mon
    assert add_cycle(PLAIN, D(2026, 1, 31), 1, "month") == D(2026, 3, 2)  # Feb 28 is a Sat
    assert add_cycle(SPRING, D(2026, 1, 15), 1, "month") == D(2026, 2, 24)
    with pytest.raises(ValueError):
        add_cycle(PLAIN, D(2026, 1, 1), 0, "workday")
    with pytest.raises(ValueError):
        add_cycle(PLAIN, D(2026, 1, 1), 1, "fortnight")


days = st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31))


@given(days, st.integers(min_value=1, max_value=40))
def test_add_then_count_round_trips(day, n):
    end = SPRING.add_working_days(day, n)
    assert SPRING.is_working_day(end)
    assert SPRING.working_days_between(day, end) == n
    back = SPRING.add_working_days(end, -n)
    assert back == (day if SPRING.is_working_day(day) else SPRING.previous_working_day(day))
