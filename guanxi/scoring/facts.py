"""Facts of every customer in one pass of SQL aggregates.

One statement: a GROUP BY per child table (orders, interactions, needs, contacts)
joined to customers, credit profiles and maturity states. No per-customer query.
Money comes back as integer cents, computed in SQL from the exact decimals, so
the rules never see binary floating point. Definitions: docs/scoring.md.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from guanxi.customers.models import Contact, Customer, Interaction, Need, Order

from .facts_types import Facts
from .models import CreditProfile, CustomerMaturity
from .standard_types import Standard

UTC = dt.UTC


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: dt.date) -> dt.datetime:
    """The aware instant at which local `day` begins."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_tz())


def _vendor_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "days": "(%s::date - o.ordered_on)",
            "cents": "(o.amount * 100)::bigint",
            "bp": "(o.gross_margin * 100)::bigint",
            "profit": "o.cents::numeric * o.bp",
            "after_promise": "CASE WHEN o.ordered_on >= m.promise_made_on THEN 1 ELSE 0 END",
        }
    return {
        "days": "CAST(julianday(%s) - julianday(o.ordered_on) AS INTEGER)",
        "cents": "CAST(ROUND(o.amount * 100) AS INTEGER)",
        "bp": "CAST(ROUND(o.gross_margin * 100) AS INTEGER)",
        "profit": "o.cents * o.bp",
        "after_promise": "CASE WHEN o.ordered_on >= m.promise_made_on THEN 1 ELSE 0 END",
    }


def _sql(std: Standard, one_customer: bool) -> str:
    v = _vendor_sql()
    w = int(std.sales_days)  # validated positive integer, safe to inline
    only = "AND {col} = %s" if one_customer else ""
    return f"""
WITH o AS (
  SELECT o.customer_id, o.ordered_on, {v["days"]} AS d, {v["cents"]} AS cents,
         {v["bp"]} AS bp, {v["after_promise"]} AS after_promise
  FROM {Order._meta.db_table} o
  LEFT JOIN {CustomerMaturity._meta.db_table} m ON m.customer_id = o.customer_id
  WHERE o.ordered_on <= %s {only.format(col="o.customer_id")}
),
oa AS (
  SELECT o.customer_id,
    MIN(o.ordered_on) AS first_on, MAX(o.ordered_on) AS last_on, COUNT(*) AS n_all,
    COUNT(DISTINCT CASE WHEN o.d < {w} THEN o.ordered_on END) AS n_days,
    SUM(CASE WHEN o.d < {w} THEN o.cents ELSE 0 END) AS sales,
    SUM(CASE WHEN o.d * 2 < {w} THEN o.cents ELSE 0 END) AS recent,
    SUM(CASE WHEN o.d < {w} AND o.d * 2 >= {w} THEN o.cents ELSE 0 END) AS previous,
    COUNT(DISTINCT CASE WHEN o.d < {w} THEN (o.d * 4) / {w} END) AS quarters,
    SUM(CASE WHEN o.d < {w} AND o.bp IS NOT NULL THEN o.cents ELSE 0 END) AS margin_base,
    SUM(CASE WHEN o.d < {w} AND o.bp IS NOT NULL THEN {v["profit"]} ELSE 0 END) AS profit_x,
    MAX(o.after_promise) AS paid
  FROM o GROUP BY o.customer_id
),
ia AS (
  SELECT i.customer_id, MAX(i.occurred_at) AS last_at,
    SUM(CASE WHEN i.occurred_at >= %s THEN 1 ELSE 0 END) AS n_recent
  FROM {Interaction._meta.db_table} i
  WHERE i.occurred_at < %s {only.format(col="i.customer_id")}
  GROUP BY i.customer_id
),
na AS (
  SELECT n.customer_id,
    SUM(CASE WHEN n.status <> 'done' THEN 1 ELSE 0 END) AS n_open,
    SUM(CASE WHEN n.matched_solution <> '' THEN 1 ELSE 0 END) AS n_matched
  FROM {Need._meta.db_table} n WHERE 1 = 1 {only.format(col="n.customer_id")}
  GROUP BY n.customer_id
),
ca AS (
  SELECT k.customer_id, COUNT(*) AS n_contacts,
    MAX(CASE WHEN k.decision_role = 'decision_maker' OR k.is_key_person THEN 1 ELSE 0 END) AS dm,
    MAX(CASE WHEN k.is_key_person THEN 1 ELSE 0 END) AS kp
  FROM {Contact._meta.db_table} k WHERE 1 = 1 {only.format(col="k.customer_id")}
  GROUP BY k.customer_id
)
SELECT c.id, c.created_at, c.stage, c.industry, c.size_band, c.source, c.urgency,
  c.potential_class, c.contract_status, c.is_strategic, c.satisfaction,
  (c.budget_min IS NOT NULL OR c.budget_max IS NOT NULL) AS budget_known,
  oa.first_on, oa.last_on, COALESCE(oa.n_all, 0), COALESCE(oa.n_days, 0),
  COALESCE(oa.sales, 0), COALESCE(oa.recent, 0), COALESCE(oa.previous, 0),
  COALESCE(oa.quarters, 0), COALESCE(oa.margin_base, 0), COALESCE(oa.profit_x, 0),
  ia.last_at, COALESCE(ia.n_recent, 0),
  COALESCE(na.n_open, 0), COALESCE(na.n_matched, 0),
  COALESCE(ca.n_contacts, 0), COALESCE(ca.dm, 0), COALESCE(ca.kp, 0),
  COALESCE(cp.payment_method, ''), cp.monthly_plan * 100,
  m.value, m.promised_payment_on, COALESCE(oa.paid, 0)
FROM {Customer._meta.db_table} c
LEFT JOIN oa ON oa.customer_id = c.id
LEFT JOIN ia ON ia.customer_id = c.id
LEFT JOIN na ON na.customer_id = c.id
LEFT JOIN ca ON ca.customer_id = c.id
LEFT JOIN {CreditProfile._meta.db_table} cp ON cp.customer_id = c.id
LEFT JOIN {CustomerMaturity._meta.db_table} m ON m.customer_id = c.id
WHERE c.deleted_at IS NULL AND c.created_at < %s {only.format(col="c.id")}
ORDER BY c.id
"""  # noqa: S608 - table names and validated integers only; values are parameters


def _params(as_of: dt.date, std: Standard, customer_id: int | None) -> list[Any]:
    ops = connection.ops
    end = day_start(as_of + dt.timedelta(days=1))
    recent = day_start(as_of - dt.timedelta(days=std.interaction_days - 1))
    day = ops.adapt_datefield_value(as_of)
    end_v, recent_v = ops.adapt_datetimefield_value(end), ops.adapt_datetimefield_value(recent)
    one = [] if customer_id is None else [customer_id]
    return [day, day, *one, recent_v, end_v, *one, *one, *one, end_v, *one]


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _local_date(value: Any) -> dt.date | None:
    """Local date of a stored instant (SQLite returns naive UTC text)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_tz()).date()


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    return int(Decimal(str(value)).to_integral_value())


def _row_to_facts(row: Sequence[Any], as_of: dt.date) -> Facts:
    (cid, created_at, stage, industry, size_band, source, urgency, potential_class,
     contract_status, is_strategic, satisfaction, budget_known, first_on, last_on, n_all,
     n_days, sales, recent, previous, quarters, margin_base, profit_x, last_at, n_recent,
     n_open, n_matched, n_contacts, dm, kp, payment_method, plan, maturity, promised,
     paid) = row  # fmt: skip
    return Facts(
        customer_id=cid,
        as_of=as_of,
        created_on=_local_date(created_at),
        stage=stage,
        industry=industry,
        size_band=size_band,
        source=source,
        urgency=urgency,
        potential_class=potential_class,
        contract_status=contract_status,
        is_strategic=bool(is_strategic),
        satisfaction=satisfaction,
        budget_known=bool(budget_known),
        first_order_on=_date(first_on),
        last_order_on=_date(last_on),
        orders_total=int(n_all),
        order_days=int(n_days),
        sales=int(sales),
        sales_recent=int(recent),
        sales_previous=int(previous),
        active_quarters=int(quarters),
        margin_base=int(margin_base),
        profit_x=int(profit_x),
        last_interaction_on=_local_date(last_at),
        interactions_recent=int(n_recent),
        needs_open=int(n_open),
        needs_matched=int(n_matched),
        contacts=int(n_contacts),
        decision_maker_known=bool(dm),
        key_person_known=bool(kp),
        payment_method=payment_method or "",
        monthly_plan=_int_or_none(plan),
        maturity=maturity,
        promised_payment_on=_date(promised),
        paid_since_promise=bool(paid),
    )


def load_facts(
    *, as_of: dt.date, standard: Standard, customer_id: int | None = None
) -> list[Facts]:
    """Facts of every live customer created on or before `as_of` (or of one)."""
    sql = _sql(standard, one_customer=customer_id is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(as_of, standard, customer_id))
        return [_row_to_facts(row, as_of) for row in cursor.fetchall()]
