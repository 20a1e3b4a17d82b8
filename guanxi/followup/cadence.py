"""Which cadence rules apply to a customer, and its next follow-up. Pure: no Django.

Facts and rules are plain dataclasses; `recompute.py` feeds them in bulk and the
single-customer hook feeds one, so both paths agree by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from guanxi.lib.workdays import WorkCalendar, add_cycle, add_months

MATURITY_CODES = frozenset({"0", "1", "2", "3k", "3o", "4k", "4o", "5", "6", "7"})
SEGMENTS = frozenset(
    {f"value:{v}" for v in ("strategic", "core", "ordinary", "low")}
    | {f"four:{v}" for v in ("high_value", "potential", "stable", "low_value")}
    | {f"abc:{v}" for v in ("A", "B", "C")}
)
AGE_BANDS = frozenset({"", "new", "established"})
UNITS = frozenset({"workday", "week", "month"})


@dataclass(frozen=True)
class Rule:
    id: int
    maturity: str
    segment: str
    age_band: str
    touch: str
    cycle_min: int
    cycle_max: int
    unit: str

    @property
    def specificity(self) -> int:
        return 4 * bool(self.maturity) + 2 * bool(self.segment) + bool(self.age_band)


@dataclass(frozen=True)
class CustomerFacts:
    customer_id: int
    created_on: dt.date
    maturity: str  # "" when never classified: treated as class 0
    segments: frozenset[str]
    last_contact_on: dt.date | None


@dataclass(frozen=True)
class NextFollowUp:
    customer_id: int
    last_contact_on: dt.date | None
    next_due: dt.date
    deadline: dt.date
    touch: str
    rule_id: int | None


def age_band(created_on: dt.date, today: dt.date) -> str:
    """ "new" in the first month, "established" from 3 months, else ""."""
    if today < add_months(created_on, 1):
        return "new"
    if today >= add_months(created_on, 3):
        return "established"
    return ""


def applicable_rules(facts: CustomerFacts, rules: Iterable[Rule], today: dt.date) -> list[Rule]:
    """Per touch, the most specific matching rule (ties: lowest id)."""
    maturity = facts.maturity or "0"
    band = age_band(facts.created_on, today)
    best: dict[str, Rule] = {}
    for r in rules:
        if r.maturity and r.maturity != maturity:
            continue
        if r.segment and r.segment not in facts.segments:
            continue
        if r.age_band and r.age_band != band:
            continue
        cur = best.get(r.touch)
        if cur is None or (r.specificity, -r.id) > (cur.specificity, -cur.id):
            best[r.touch] = r
    return sorted(best.values(), key=lambda r: (r.touch, r.id))


def next_follow_up(
    facts: CustomerFacts, rules: Sequence[Rule], cal: WorkCalendar, today: dt.date
) -> NextFollowUp:
    """Earliest touch due. From the last contact: next_due = + cycle_min, deadline =
    + cycle_max. Never contacted: due (and deadline) on the first working day on or
    after the customer was created. No rule: due like class 0 (every working day)."""
    base = facts.last_contact_on
    if base is None:
        day = cal.next_working_day(facts.created_on)
        return NextFollowUp(facts.customer_id, None, day, day, "call", None)
    best: NextFollowUp | None = None
    for r in applicable_rules(facts, rules, today):
        due = add_cycle(cal, base, r.cycle_min, r.unit)
        deadline = add_cycle(cal, base, r.cycle_max, r.unit)
        cand = NextFollowUp(facts.customer_id, base, due, deadline, r.touch, r.id)
        if best is None or (due, deadline, r.touch) < (best.next_due, best.deadline, best.touch):
            best = cand
    if best is None:
        day = cal.add_working_days(base, 1)
        return NextFollowUp(facts.customer_id, base, day, day, "call", None)
    return best
