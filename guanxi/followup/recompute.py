# ruff: noqa: S608 - SQL is built from table names and constants; values are parameters
"""Next follow-up dates in bulk, set-based, with the pure `cadence.next_follow_up`
as the only definition (docs/followup.md, "Next follow-up").

A customer's result depends only on (a) the set of rules that apply to it — a function
of its maturity, segments and age band — and (b) its last-contact day (or, never
contacted, its creation day). Both take few distinct values: a few dozen rule sets
times a few thousand days, against a million customers. So:

1. one statement materialises every alive customer's facts in a TEMP table;
2. the distinct profiles (maturity, tier, four class, ABC, age band) are read back
   and `cadence.applicable_rules` names each one's rule set;
3. the distinct (rule set, day) pairs are read back and `cadence.next_follow_up`
   (the pure definition, working-day calendar included) is evaluated once per pair;
4. one INSERT … SELECT … ON CONFLICT joins customers to those results and upserts.

No per-customer Python, and no working-day arithmetic re-implemented in SQL.
One customer (the on-commit hook) takes the direct path: one facts row, the pure
function, one upsert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from guanxi.core.localdates import fixed_offset, local_date_sql
from guanxi.customers.models import Customer, Interaction
from guanxi.lib.workdays import WorkCalendar, add_months
from guanxi.scoring.models import CustomerMaturity, CustomerScore

from . import selectors
from .cadence import CustomerFacts, Rule, applicable_rules, next_follow_up
from .models import FollowUp

FACTS = "gx_fu_facts"
PROFILE = "gx_fu_profile"
MEMO = "gx_fu_memo"
NEVER = 0  # rule-set id of "never contacted" (rules do not matter then)
MEMO_BATCH = 5000


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _local(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def _as_date(value: object) -> dt.date:
    # SQLite hands back TEXT from TEMP tables; PostgreSQL a date
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def band_cutoffs(today: dt.date) -> tuple[dt.date, dt.date]:
    """(first creation day that is still "new", last one that is "established") on
    `today`. `add_months` never decreases as the day grows, so `cadence.age_band`
    is `new` exactly from the first cut-off on and `established` up to the second:
    two date comparisons in SQL give the same band as the pure function."""
    new_from = today - dt.timedelta(days=40)
    while add_months(new_from, 1) <= today:
        new_from += dt.timedelta(days=1)
    est_to = today - dt.timedelta(days=100)
    while add_months(est_to + dt.timedelta(days=1), 3) <= today:
        est_to += dt.timedelta(days=1)
    return new_from, est_to


def _segments(tier: str, four: str, abc: str) -> frozenset[str]:
    return frozenset(
        s
        for s in (
            f"value:{tier}" if tier else "",
            f"four:{four}" if four else "",
            f"abc:{abc}" if abc else "",
        )
        if s
    )


def _facts_sql() -> tuple[str, list[object]]:
    """Alive customers with creation day, last-contact day (local dates), maturity,
    segments and age band; the band's cut-off dates are the two first parameters."""
    offset = None
    if connection.vendor == "sqlite":
        span = Customer.objects.aggregate(a=Min("created_at"), b=Max("created_at"))
        span_i = Interaction.objects.aggregate(a=Min("occurred_at"), b=Max("occurred_at"))
        lo = min((v for v in (span["a"], span_i["a"]) if v is not None), default=None)
        hi = max((v for v in (span["b"], span_i["b"]) if v is not None), default=None)
        offset = fixed_offset(lo, hi, timezone.get_current_timezone())
    tz = timezone.get_current_timezone_name()
    created, p1 = local_date_sql("c.created_at", tz, offset)
    last, p2 = local_date_sql("li.last_at", tz, offset)
    sql = f"""
SELECT x.*, CASE WHEN x.created_on >= %s THEN 'new'
                 WHEN x.created_on <= %s THEN 'established' ELSE '' END AS band
FROM (
  SELECT c.id AS customer_id, {created} AS created_on, {last} AS last_on,
         COALESCE(mt.value, '') AS m, COALESCE(s.value_tier, '') AS tier,
         COALESCE(s.four_class, '') AS four, COALESCE(s.abc, '') AS abc
  FROM {_t(Customer)} c
  LEFT JOIN (SELECT customer_id, MAX(occurred_at) AS last_at FROM {_t(Interaction)}
             GROUP BY customer_id) li ON li.customer_id = c.id
  LEFT JOIN {_t(CustomerMaturity)} mt ON mt.customer_id = c.id
  LEFT JOIN {_t(CustomerScore)} s ON s.customer_id = c.id
  WHERE c.deleted_at IS NULL
) x"""
    return sql, [*p1, *p2]


@dataclass(frozen=True)
class _Profile:
    created_on: dt.date  # any member's creation day: gives the profile's age band
    maturity: str
    segments: frozenset[str]


def _rule_sets(
    rows: Sequence[tuple], rules: Sequence[Rule], today: dt.date
) -> tuple[list[tuple], dict[int, _Profile]]:
    """Name each profile's rule set (ids from 1; NEVER is 0). Returns the profile
    rows to store and one representative profile per rule set."""
    ids: dict[tuple[int, ...], int] = {}
    reps: dict[int, _Profile] = {}
    out = []
    for m, tier, four, abc, band, created in rows:
        prof = _Profile(_as_date(created), m, _segments(tier, four, abc))
        facts = CustomerFacts(0, prof.created_on, prof.maturity, prof.segments, None)
        key = tuple(r.id for r in applicable_rules(facts, rules, today))
        rs = ids.setdefault(key, len(ids) + 1)
        reps.setdefault(rs, prof)
        out.append((m, tier, four, abc, band, rs))
    return out, reps


def _memo_rows(
    keys: Sequence[tuple],
    reps: dict[int, _Profile],
    rules: Sequence[Rule],
    cal: WorkCalendar,
    today: dt.date,
) -> list[tuple]:
    """The pure result for each distinct (rule set, day)."""
    ops = connection.ops
    out = []
    for rs, day in keys:
        day = _as_date(day)
        if rs == NEVER:
            facts = CustomerFacts(0, day, "", frozenset(), None)
        else:
            p = reps[rs]
            facts = CustomerFacts(0, p.created_on, p.maturity, p.segments, day)
        nf = next_follow_up(facts, rules, cal, today)
        out.append(
            (
                rs,
                ops.adapt_datefield_value(day),
                ops.adapt_datefield_value(nf.next_due),
                ops.adapt_datefield_value(nf.deadline),
                nf.touch,
                nf.rule_id,
            )
        )
    return out


def _drop(cur) -> None:
    for name in (FACTS, PROFILE, MEMO):
        cur.execute(f"DROP TABLE IF EXISTS {name}")


def _recompute_all(today: dt.date) -> int:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    cal = selectors.work_calendar()
    rules = selectors.active_rules()
    new_from, est_to = band_cutoffs(today)
    ops = connection.ops
    facts_sql, facts_params = _facts_sql()
    with connection.cursor() as cur:
        _drop(cur)
        cur.execute(
            f"CREATE TEMPORARY TABLE {FACTS} AS {facts_sql}",
            [ops.adapt_datefield_value(new_from), ops.adapt_datefield_value(est_to), *facts_params],
        )
        cur.execute(
            f"SELECT m, tier, four, abc, band, MIN(created_on) FROM {FACTS}"
            " WHERE last_on IS NOT NULL GROUP BY m, tier, four, abc, band"
        )
        profiles, reps = _rule_sets(cur.fetchall(), rules, today)
        cur.execute(
            f"CREATE TEMPORARY TABLE {PROFILE} (m varchar(2), tier varchar(20),"
            " four varchar(20), abc varchar(1), band varchar(12), rs integer)"
        )
        if profiles:
            cur.executemany(f"INSERT INTO {PROFILE} VALUES (%s, %s, %s, %s, %s, %s)", profiles)
        cur.execute(
            f"SELECT DISTINCT p.rs, f.last_on FROM {FACTS} f JOIN {PROFILE} p"
            " ON p.m = f.m AND p.tier = f.tier AND p.four = f.four AND p.abc = f.abc"
            " AND p.band = f.band WHERE f.last_on IS NOT NULL"
            f" UNION ALL SELECT DISTINCT {NEVER}, created_on FROM {FACTS} WHERE last_on IS NULL"
        )
        memo = _memo_rows(cur.fetchall(), reps, rules, cal, today)
        cur.execute(
            f"CREATE TEMPORARY TABLE {MEMO} (rs integer, day date, next_due date,"
            " deadline date, touch varchar(12), rule_id integer)"
        )
        for i in range(0, len(memo), MEMO_BATCH):
            cur.executemany(
                f"INSERT INTO {MEMO} VALUES (%s, %s, %s, %s, %s, %s)", memo[i : i + MEMO_BATCH]
            )
        cur.execute(f"CREATE INDEX {MEMO}_key ON {MEMO} (rs, day)")
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {FACTS}")
            cur.execute(f"ANALYZE {MEMO}")
        # Rows whose values are unchanged are left alone (no dead tuples, no index
        # churn): `computed_at` is when the dates last changed.
        fu = _t(FollowUp)
        cur.execute(
            f"""
INSERT INTO {fu} (customer_id, last_contact_on, next_due, deadline, touch, rule_id, computed_at)
SELECT f.customer_id, f.last_on, x.next_due, x.deadline, x.touch, x.rule_id, %s
FROM {FACTS} f
LEFT JOIN {PROFILE} p ON f.last_on IS NOT NULL AND p.m = f.m AND p.tier = f.tier
  AND p.four = f.four AND p.abc = f.abc AND p.band = f.band
JOIN {MEMO} x ON x.rs = COALESCE(p.rs, {NEVER}) AND x.day = COALESCE(f.last_on, f.created_on)
WHERE 1 = 1
ON CONFLICT (customer_id) DO UPDATE SET
  last_contact_on = EXCLUDED.last_contact_on, next_due = EXCLUDED.next_due,
  deadline = EXCLUDED.deadline, touch = EXCLUDED.touch, rule_id = EXCLUDED.rule_id,
  computed_at = EXCLUDED.computed_at
WHERE {fu}.next_due <> EXCLUDED.next_due OR {fu}.deadline <> EXCLUDED.deadline
  OR {fu}.touch <> EXCLUDED.touch
  OR {_distinct(f"{fu}.last_contact_on", "EXCLUDED.last_contact_on")}
  OR {_distinct(f"{fu}.rule_id", "EXCLUDED.rule_id")}""",
            [now],
        )
        cur.execute(f"SELECT COUNT(*) FROM {FACTS}")
        count = cur.fetchone()[0]
        _drop(cur)
    return count


def _distinct(a: str, b: str) -> str:
    """NULL-safe inequality."""
    return f"{a} IS DISTINCT FROM {b}" if connection.vendor == "postgresql" else f"{a} IS NOT {b}"


def _recompute_one(customer_id: int, today: dt.date) -> int:
    row = (
        Customer.objects.alive()
        .filter(pk=customer_id)
        .annotate(last=Max("interactions__occurred_at"))
        .values_list(
            "created_at",
            "maturity__value",
            "score__value_tier",
            "score__four_class",
            "score__abc",
            "last",
        )
        .first()
    )
    if row is None:
        return 0
    created, maturity, tier, four, abc, last = row
    facts = CustomerFacts(
        customer_id, _local(created), maturity or "", _segments(tier, four, abc), _local(last)
    )
    nf = next_follow_up(facts, selectors.active_rules(), selectors.work_calendar(), today)
    FollowUp.objects.update_or_create(
        customer_id=customer_id,
        defaults={
            "last_contact_on": nf.last_contact_on,
            "next_due": nf.next_due,
            "deadline": nf.deadline,
            "touch": nf.touch,
            "rule_id": nf.rule_id,
            "computed_at": timezone.now(),
        },
    )
    return 1


@transaction.atomic
def followups_recompute(*, customer_id: int | None = None, today: dt.date | None = None) -> int:
    """Recompute next follow-ups of all alive customers (or one); returns how many
    customers were looked at. Idempotent."""
    today = today or timezone.localdate()
    if customer_id is not None:
        return _recompute_one(customer_id, today)
    return _recompute_all(today)


def followup_refresh(customer_id: int) -> None:
    """Recompute one customer's next follow-up now."""
    followups_recompute(customer_id=customer_id)


def followup_refresh_on_commit(customer_id: int) -> None:
    """THE HOOK: call after an interaction is written or a class/tier changes.
    Runs once the write commits; `robust` keeps a failure from breaking the write
    (the daily job repairs whatever was missed)."""
    transaction.on_commit(partial(followup_refresh, customer_id), robust=True)
