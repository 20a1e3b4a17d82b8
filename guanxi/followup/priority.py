"""Priority and reason of one customer on a day's call list. Pure: no Django.

`calllist.py` computes the same in SQL (BUCKET_SQL below is the single source for
the CASE expression); tests/followup/test_calllist.py checks that both agree.
Buckets 40 (expired contract) and 70 (repurchase due / warning) are hooks for the
contracts and alerts apps: nothing produces them yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BUCKETS: dict[str, int] = {
    "class_1": 10,
    "class_2": 20,
    "overdue": 30,
    "contract_expired": 40,  # hook: contracts
    "key_3": 50,
    "ordinary_3": 60,
    "repurchase": 70,  # hook: repurchase reminders and warnings
    "new": 80,
    "pool": 90,
    "other": 100,
}
REASON_OF_BUCKET = {v: k for k, v in BUCKETS.items()}


@dataclass(frozen=True)
class LineFacts:
    maturity: str  # "" = never classified (class 0)
    next_due: dt.date | None  # None = no follow-up computed yet: due today
    deadline: dt.date | None


@dataclass(frozen=True)
class Priority:
    bucket: int
    reason: str


def priority(facts: LineFacts, day: dt.date) -> Priority | None:
    """None when the customer is not due on `day`."""
    next_due = facts.next_due or day
    deadline = facts.deadline or day
    if next_due > day:
        return None
    m = facts.maturity or "0"
    if m == "1":
        reason = "class_1"
    elif m == "2":
        reason = "class_2"
    elif deadline < day:
        reason = "overdue"
    elif m == "3k":
        reason = "key_3"
    elif m == "3o":
        reason = "ordinary_3"
    elif m == "0":
        reason = "new"
    elif m in ("4k", "4o", "5"):
        reason = "pool"
    else:
        reason = "other"
    return Priority(BUCKETS[reason], reason)


def reason_params(
    *, reason: str, maturity: str, deadline: dt.date, first_listed_on: dt.date, day: dt.date
) -> dict[str, object]:
    """Parameters for the translated reason text."""
    return {
        "maturity": maturity or "0",
        "overdue_days": max((day - deadline).days, 0),
        "carried_days": (day - first_listed_on).days,
    }


# The same rule as `priority`, in SQL over columns m (maturity), dl (deadline), and
# the day parameter %(day)s. Keep in step with `priority`.
BUCKET_SQL = f"""CASE
  WHEN m = '1' THEN {BUCKETS["class_1"]}
  WHEN m = '2' THEN {BUCKETS["class_2"]}
  WHEN dl < %(day)s THEN {BUCKETS["overdue"]}
  WHEN m = '3k' THEN {BUCKETS["key_3"]}
  WHEN m = '3o' THEN {BUCKETS["ordinary_3"]}
  WHEN m = '0' THEN {BUCKETS["new"]}
  WHEN m IN ('4k', '4o', '5') THEN {BUCKETS["pool"]}
  ELSE {BUCKETS["other"]}
END"""

REASON_SQL = "CASE bucket " + " ".join(f"WHEN {b} THEN '{r}'" for r, b in BUCKETS.items()) + " END"
