"""Pure cadence resolution and next follow-up dates (no database)."""

import datetime as dt

from guanxi.followup.cadence import CustomerFacts, Rule, age_band, applicable_rules, next_follow_up
from guanxi.lib.workdays import WorkCalendar

D = dt.date
CAL = WorkCalendar.build(
    holidays=[D(2026, 10, 1) + dt.timedelta(days=i) for i in range(7)],
    makeup_days=[D(2026, 9, 20), D(2026, 10, 10)],
)
RULES = [
    Rule(1, "3k", "", "", "call", 2, 5, "workday"),
    Rule(2, "3o", "", "", "call", 5, 8, "workday"),
    Rule(3, "4k", "", "", "call", 5, 7, "workday"),
    Rule(4, "4o", "", "", "call", 8, 14, "workday"),
    Rule(5, "5", "", "", "call", 1, 1, "month"),
    Rule(6, "", "", "", "call", 1, 1, "workday"),
    Rule(7, "", "", "new", "check_in", 1, 1, "week"),
    Rule(8, "", "four:high_value", "", "care", 1, 1, "week"),
    Rule(9, "", "abc:A", "", "executive", 6, 6, "month"),
]


LAST, CREATED = D(2026, 11, 20), D(2025, 1, 1)


def facts(maturity="", last=LAST, created=CREATED, segments=()):
    return CustomerFacts(1, created, maturity, frozenset(segments), last)


def test_age_bands():
    assert age_band(D(2026, 11, 1), D(2026, 11, 30)) == "new"
    assert age_band(D(2026, 10, 31), D(2026, 11, 30)) == ""  # Nov 30 = one month later
    assert age_band(D(2026, 8, 31), D(2026, 11, 30)) == "established"


def test_most_specific_rule_per_touch():
    chosen = applicable_rules(facts("3k", segments={"four:high_value"}), RULES, D(2026, 11, 25))
    assert {r.touch: r.id for r in chosen} == {"call": 1, "care": 8}


def test_unclassified_uses_the_generic_rule():
    chosen = applicable_rules(facts(""), RULES, D(2026, 11, 25))
    assert [r.id for r in chosen] == [6]


def test_key_and_ordinary_3_and_4_differ():
    base = D(2026, 11, 20)  # a Friday
    assert next_follow_up(facts("3k"), RULES, CAL, base).next_due == D(2026, 11, 24)
    assert next_follow_up(facts("3k"), RULES, CAL, base).deadline == D(2026, 11, 27)
    assert next_follow_up(facts("3o"), RULES, CAL, base).next_due == D(2026, 11, 27)
    assert next_follow_up(facts("3o"), RULES, CAL, base).deadline == D(2026, 12, 2)
    assert next_follow_up(facts("4k"), RULES, CAL, base).deadline == D(2026, 12, 1)
    assert next_follow_up(facts("4o"), RULES, CAL, base).deadline == D(2026, 12, 10)


def test_cycle_across_national_day_and_makeup_day():
    # Sept 30 (Wed) + 2 working days: Oct 1–7 off, Oct 8 (Thu), Oct 9 (Fri)
    nf = next_follow_up(facts("3k", last=D(2026, 9, 30)), RULES, CAL, D(2026, 9, 30))
    assert (nf.next_due, nf.deadline) == (D(2026, 10, 9), D(2026, 10, 13))  # Sat 10 counts
    # Sept 18 (Fri) + 1: make-up Sunday Sept 20
    nf = next_follow_up(facts("", last=D(2026, 9, 18)), RULES, CAL, D(2026, 9, 18))
    assert nf.next_due == D(2026, 9, 20)


def test_monthly_cycle_at_month_end():
    nf = next_follow_up(facts("5", last=D(2026, 1, 31)), RULES, WorkCalendar(), D(2026, 2, 1))
    assert nf.next_due == D(2026, 3, 2)  # Feb 28 is a Saturday


def test_earliest_touch_wins_and_is_named():
    nf = next_follow_up(facts("5", segments={"four:high_value"}), RULES, CAL, D(2026, 11, 20))
    assert (nf.touch, nf.rule_id, nf.next_due) == ("care", 8, D(2026, 11, 27))


def test_never_contacted_is_due_when_created():
    nf = next_follow_up(
        facts("3o", last=None, created=D(2026, 11, 21)), RULES, CAL, D(2026, 11, 25)
    )
    assert nf.next_due == nf.deadline == D(2026, 11, 23)


def test_no_rule_means_every_working_day():
    nf = next_follow_up(facts("7"), [], CAL, D(2026, 11, 20))
    assert nf.next_due == D(2026, 11, 23) and nf.rule_id is None
