# ruff: noqa: S608 - SQL is built from table names and validated integers; values are parameters
"""Cause SQL per rule: one statement each, returning the set of
(customer_id, cause_key, ref_on) that should have an open alert on the reference day.

Thresholds are validated integers and dates are computed in Python and passed as
parameters. Definitions: docs/alerts.md.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from guanxi.customers.models import Customer, Interaction, Order
from guanxi.scoring.models import CustomerScore

from .models import PurchaseCycle, Rule

C = Customer._meta.db_table
I = Interaction._meta.db_table  # noqa: E741
O = Order._meta.db_table  # noqa: E741
S = CustomerScore._meta.db_table
P = PurchaseCycle._meta.db_table


@dataclass(frozen=True)
class Ctx:
    now: dt.datetime  # reference instant (aware)
    day: dt.date  # local date of `now`


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _pg() -> bool:
    return connection.vendor == "postgresql"


def local_date(expr: str, ctx: Ctx) -> str:
    """Local calendar date of a stored instant."""
    if _pg():
        return f"(({expr}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    # SQLite stores naive UTC text; shift by the zone's offset at the reference instant.
    offset = int(ctx.now.astimezone(ZoneInfo(settings.TIME_ZONE)).utcoffset().total_seconds())
    return f"date({expr}, '{offset:+d} seconds')"


def greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _pg() else f"MAX({a}, {b})"


def days_between(later: str, earlier: str) -> str:
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def add_days(date: str, days: str) -> str:
    if _pg():
        return f"({date} + {days})"
    return f"date({date}, '+' || ({days}) || ' days')"


def as_text(expr: str) -> str:
    return f"CAST({expr} AS TEXT)"


def _adapt(value):
    ops = connection.ops
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    return value


Sql = tuple[str, list]
ALIVE = "c.deleted_at IS NULL AND c.created_at < %s AND c.stage <> 'lost'"


# Per-customer last activity, computed once per job run into a TEMP table (job.py)
# and read by the three rules that need it, instead of each one aggregating all
# interactions and orders again.
FACTS = "gx_alert_last"
NEEDS_FACTS = frozenset({"churn_no_activity", "churn_frequency", "dormant", "reactivation"})


def facts_sql(ctx: Ctx, freq: dict[str, int]) -> Sql:
    """Alive customers: creation day, last interaction day before `now`, last order day
    up to D (NULL when none), and the distinct order days of `churn_frequency`'s recent
    window and of its history before it (`freq` = that rule's thresholds)."""
    start = ctx.day - dt.timedelta(days=freq["window_days"])
    oldest = start - dt.timedelta(days=freq["history_days"])
    li = (
        f"(SELECT customer_id, MAX(occurred_at) AS last_at FROM {I}"
        " WHERE occurred_at < %s GROUP BY customer_id)"
    )
    lo = f"""(SELECT customer_id, MAX(ordered_on) AS last_on,
    COUNT(DISTINCT CASE WHEN ordered_on > %s THEN ordered_on END) AS recent,
    COUNT(DISTINCT CASE WHEN ordered_on > %s AND ordered_on <= %s THEN ordered_on END) AS base
  FROM {O} WHERE ordered_on <= %s GROUP BY customer_id)"""
    sql = f"""SELECT c.id AS customer_id, {local_date("c.created_at", ctx)} AS created_day,
  {local_date("li.last_at", ctx)} AS last_i_day, lo.last_on AS last_o_on,
  COALESCE(lo.recent, 0) AS recent, COALESCE(lo.base, 0) AS base
FROM {C} c LEFT JOIN {li} li ON li.customer_id = c.id LEFT JOIN {lo} lo ON lo.customer_id = c.id
WHERE {ALIVE}"""
    return sql, [ctx.now, start, oldest, start, ctx.day, ctx.now]


def churn_no_activity(ctx: Ctx, p: dict[str, int]) -> Sql:
    last = greatest("COALESCE(x.last_i_day, x.created_day)", "COALESCE(x.last_o_on, x.created_day)")
    sql = f"""SELECT customer_id, {as_text("last_day")} AS cause_key, last_day AS ref_on
FROM (SELECT x.customer_id, {last} AS last_day FROM {FACTS} x) y WHERE last_day <= %s"""
    return sql, [ctx.day - dt.timedelta(days=p["days"])]


def dormant(ctx: Ctx, p: dict[str, int]) -> Sql:
    sql = f"""SELECT customer_id, {as_text("last_day")} AS cause_key, last_day AS ref_on
FROM (SELECT x.customer_id, COALESCE(x.last_i_day, x.created_day) AS last_day FROM {FACTS} x) y
WHERE last_day <= %s"""
    return sql, [ctx.day - dt.timedelta(days=p["days"])]


def reactivation(ctx: Ctx, p: dict[str, int]) -> Sql:
    sql = f"""SELECT x.customer_id, {as_text("x.last_o_on")} AS cause_key, x.last_o_on AS ref_on
FROM {FACTS} x JOIN {S} s ON s.customer_id = x.customer_id
WHERE s.value_tier = 'ordinary' AND x.last_o_on <= %s"""
    return sql, [ctx.day - dt.timedelta(days=p["days"])]


def profile_stale(ctx: Ctx, p: dict[str, int]) -> Sql:
    ts = "COALESCE(c.profile_updated_at, c.created_at)"
    sql = f"""SELECT c.id AS customer_id, {as_text(local_date(ts, ctx))} AS cause_key,
  {local_date(ts, ctx)} AS ref_on
FROM {C} c WHERE {ALIVE} AND {ts} < %s"""
    return sql, [ctx.now, ctx.now - dt.timedelta(days=p["days"])]


def interaction_not_logged(ctx: Ctx, p: dict[str, int]) -> Sql:
    # A plan due on day X is missed from day_start(X + 1) + grace on: the latest due
    # date already missed at `now` is local_date(now - grace) - 1 day.
    tz = ZoneInfo(settings.TIME_ZONE)
    last_due = (ctx.now - dt.timedelta(hours=p["grace_hours"])).astimezone(tz).date()
    last_due -= dt.timedelta(days=1)
    first_due = ctx.day - dt.timedelta(days=p["lookback_days"])
    key = f"'i' || {as_text('i.id')}"
    sql = f"""SELECT i.customer_id, {key} AS cause_key, i.next_action_due AS ref_on
FROM {I} i JOIN {C} c ON c.id = i.customer_id
WHERE {ALIVE} AND i.next_action_due >= %s AND i.next_action_due <= %s AND i.occurred_at < %s
  AND NOT EXISTS (SELECT 1 FROM {I} j WHERE j.customer_id = i.customer_id AND j.occurred_at < %s
    AND (j.occurred_at > i.occurred_at OR (j.occurred_at = i.occurred_at AND j.id > i.id)))"""
    return sql, [ctx.now, first_due, last_due, ctx.now, ctx.now]


def repurchase_due(ctx: Ctx, p: dict[str, int]) -> Sql:
    # The distinct (customer, day) rows come in index order (customer, ordered_on), and
    # every window below keeps that order: each day's older neighbour (LAG) and its
    # rank from the newest (count − row number + 1) need no sort of the 2M+ rows
    # (PostgreSQL streams them from an index-only scan). The median then sorts at
    # most `last_intervals` gaps per customer.
    k, m = p["last_intervals"], p["min_orders"]
    expected = add_days("cy.last_on", "cy.cycle")
    sql = f"""WITH g AS (SELECT customer_id, ordered_on,
        LAG(ordered_on) OVER w AS prev,
        COUNT(*) OVER (PARTITION BY customer_id) - ROW_NUMBER() OVER w + 1 AS rn
      FROM (SELECT customer_id, ordered_on FROM {O} WHERE ordered_on <= %s
            GROUP BY customer_id, ordered_on) d
      WINDOW w AS (PARTITION BY customer_id ORDER BY ordered_on)),
iv AS (SELECT customer_id, ordered_on, {days_between("ordered_on", "prev")} AS gap FROM g
       WHERE prev IS NOT NULL AND rn <= {k}),
r AS (SELECT customer_id, gap,
        ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY gap) AS k,
        COUNT(*) OVER (PARTITION BY customer_id) AS n,
        MAX(ordered_on) OVER (PARTITION BY customer_id) AS last_on
      FROM iv),
med AS (SELECT customer_id, MAX(last_on) AS last_on, CAST(ROUND(AVG(gap)) AS INTEGER) AS cycle
        FROM r WHERE n >= {m - 1} AND (k = (n + 1) / 2 OR k = (n + 2) / 2)
        GROUP BY customer_id),
hand AS (SELECT pc.customer_id, MAX(o.ordered_on) AS last_on, MAX(pc.days) AS cycle
         FROM {P} pc JOIN {O} o ON o.customer_id = pc.customer_id
         WHERE o.ordered_on <= %s GROUP BY pc.customer_id),
cy AS (SELECT customer_id, last_on, cycle FROM hand
       UNION ALL
       SELECT customer_id, last_on, cycle FROM med
       WHERE NOT EXISTS (SELECT 1 FROM {P} pc WHERE pc.customer_id = med.customer_id)),
e AS (SELECT cy.customer_id, cy.cycle, {expected} AS expected FROM cy WHERE cy.cycle > 0)
SELECT e.customer_id, {as_text("e.expected")} AS cause_key, e.expected AS ref_on
FROM e JOIN {C} c ON c.id = e.customer_id
WHERE {ALIVE} AND e.expected <= %s AND {add_days("e.expected", "e.cycle")} >= %s"""
    return sql, [ctx.day, ctx.day, ctx.now, ctx.day + dt.timedelta(days=p["lead_days"]), ctx.day]


def churn_frequency(ctx: Ctx, p: dict[str, int]) -> Sql:
    # recent/base come from FACTS, counted with these same thresholds (job.py). The
    # last order day up to D is inside the history window whenever base >= 1.
    w, h = p["window_days"], p["history_days"]
    sql = f"""SELECT x.customer_id, {as_text("x.last_o_on")} AS cause_key, x.last_o_on AS ref_on
FROM {FACTS} x
WHERE x.base >= {p["min_history_orders"]}
  AND x.recent * {h} * 100 < {p["ratio_percent"]} * x.base * {w}"""
    return sql, []


CAUSES: dict[str, Callable[[Ctx, dict[str, int]], Sql]] = {
    Rule.REPURCHASE_DUE: repurchase_due,
    Rule.CHURN_NO_ACTIVITY: churn_no_activity,
    Rule.CHURN_FREQUENCY: churn_frequency,
    Rule.DORMANT: dormant,
    Rule.REACTIVATION: reactivation,
    Rule.INTERACTION_NOT_LOGGED: interaction_not_logged,
    Rule.PROFILE_STALE: profile_stale,
}


def cause_sql(rule: str, ctx: Ctx, params: dict[str, int]) -> Sql:
    """The rule's cause query; rules in NEEDS_FACTS read the FACTS table."""
    sql, args = CAUSES[rule](ctx, params)
    return sql, [_adapt(a) for a in args]


def adapted_facts_sql(ctx: Ctx, freq: dict[str, int]) -> Sql:
    sql, args = facts_sql(ctx, freq)
    return sql, [_adapt(a) for a in args]
