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
from django.db.models import Max, Min

from guanxi.core.expressions import epoch_day
from guanxi.core.localdates import local_date_sql, sqlite_offset
from guanxi.customers.models import Contact, Customer, Interaction, Need, Order

from .facts_types import Facts
from .models import CreditProfile, CustomerMaturity
from .standard_types import Standard


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: dt.date) -> dt.datetime:
    """The aware instant at which local `day` begins."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_tz())


def vendor_sql() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {"sum": "CAST(SUM({}) AS bigint)", "int": "bigint"}
    return {"sum": "SUM({})", "int": "INTEGER"}


# Column names of the facts SELECT, in the order `_row_to_facts` reads them.
COLUMNS = (
    "customer_id", "created_on", "stage", "industry", "size_band", "source", "urgency",
    "potential_class", "contract_status", "is_strategic", "satisfaction", "budget_known",
    "first_on", "last_on", "n_all", "n_days", "sales", "recent", "previous", "quarters",
    "margin_base", "profit_x", "last_int_on", "n_recent", "n_open", "n_matched",
    "n_contacts", "dm", "kp", "payment_method", "plan", "maturity", "promised", "paid",
)  # fmt: skip


# Stored beside COLUMNS (not read by the rules): orders in each quarter of the sales
# window, so that a nightly run can move the window by adding and subtracting the
# orders on its edges (nightly.apply_window_deltas); quarters = how many are > 0.
QUARTER_COUNTS = ("cq0", "cq1", "cq2", "cq3")
STORED_COLUMNS = COLUMNS + QUARTER_COUNTS
# Active quarters of the order facts `oa` (NULL counts: no orders, none active).
ACTIVE_QUARTERS = " + ".join(f"(CASE WHEN oa.{c} > 0 THEN 1 ELSE 0 END)" for c in QUARTER_COUNTS)

# Temporary table of customer ids a run restricts the facts to (only="table").
ID_TABLE = "scoring_run_ids"


def _restrict(col: str, only: str) -> str:
    """Extra WHERE condition: every customer, one (`= %s`), a list (`IN (...)`) or
    the ids in the temporary table ID_TABLE."""
    if only == "all":
        return ""
    if only == "table":
        return f"AND {col} IN (SELECT customer_id FROM {ID_TABLE})"  # noqa: S608
    return f"AND {col} = %s" if only == "one" else f"AND {col} IN ({{ids}})"


def _end_of(day: dt.date) -> Any:
    """The instant local `day` ends, as the database takes it."""
    return connection.ops.adapt_datetimefield_value(day_start(day + dt.timedelta(days=1)))


def date_sql(day: dt.date) -> str:
    """A date literal (computed here from a date object: nothing user-typed)."""
    if connection.vendor == "postgresql":
        return f"DATE '{day.isoformat()}'"
    return f"'{day.isoformat()}'"


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def quarter_bounds(w: int) -> list[tuple[int, int]]:
    """(fewest, most) days before as_of of the orders in each quarter of a W-day
    window: quarter q holds ceil(qW/4) <= d <= ceil((q+1)W/4) - 1."""
    return [(_ceil_div(q * w, 4), _ceil_div((q + 1) * w, 4) - 1) for q in range(4)]


def order_window_edges(std: Standard) -> list[int]:
    """Every k for which the order facts test `ordered_on >= as_of - k` (the window,
    its recent half, its quarters); the nightly run refreshes the customers with an
    order on an edge that moved (nightly.py)."""
    w = int(std.sales_days)
    quarters = {_ceil_div(q * w, 4) - 1 for q in range(1, 5)}
    return sorted({w - 1, (w - 1) // 2, *quarters})


def order_columns() -> str:
    """customer_id, day, cents and bp of the orders `o`: the row shape order_aggregates
    reads. Money comes from the integer columns the database keeps for each order
    (Order.amount_cents, margin_bp), which PostgreSQL's covering index carries: no
    decimal is converted per order (the order pass at 10M orders: 5.5 s converting,
    3.4 s reading the integers). SQLite also reads the day number Order.ordered_day:
    its dates are text in a column of numeric affinity, and every comparison of one
    with a date converted the other side, once per order and per window edge (the
    order pass at 2M orders: 2.1 s with text dates and decimals, 1.0 s with the
    integers; docs/benchmarks.md §5)."""
    return f"o.customer_id, {order_day_column()} AS day, o.amount_cents AS cents, o.margin_bp AS bp"


def order_day_column() -> str:
    """The column of the order table `o` that day_sql's values compare with."""
    return "o.ordered_on" if connection.vendor == "postgresql" else "o.ordered_day"


def day_sql(day: dt.date) -> str:
    """`day` as the orders' `day` (order_columns) compares with: a date on PostgreSQL,
    the day number on SQLite."""
    if connection.vendor == "postgresql":
        return date_sql(day)
    return str(epoch_day(day))


def day_to_date(expr: str) -> str:
    """The date of an orders' `day` value (once per customer, not per order)."""
    if connection.vendor == "postgresql":
        return expr
    return f"date({expr} * 86400, 'unixepoch')"


def order_aggregates(as_of: dt.date, std: Standard, fresh: str = "") -> str:
    """The order facts (first_on … cq3) as aggregates over rows `o` of order_columns'
    shape (customer_id, day, cents, bp). `fresh`, a condition on `o`, narrows the order
    days counted (nightly.apply_insert_deltas).
    With d = days from the order to as_of and W the window, every condition on d is
    a day range computed here once (no date arithmetic per order):
    window d < W; recent half 2d < W; quarter q of the window q*W <= 4d < (q+1)*W."""
    w = int(std.sales_days)  # validated positive integer

    def since(days: int) -> str:  # orders with d <= days
        return f"o.day >= {day_sql(as_of - dt.timedelta(days=days))}"

    window, recent = since(w - 1), since((w - 1) // 2)
    big = vendor_sql()["int"]

    # FILTER skips the rows an aggregate does not take; both databases run it faster
    # than a CASE inside the aggregate (SQLite at 2M orders: 1.03 s against 1.19 s).
    def summed(value: str, condition: str) -> str:
        return f"CAST(COALESCE(SUM({value}) FILTER (WHERE {condition}), 0) AS {big})"

    def counted(condition: str) -> str:
        return f"COUNT(*) FILTER (WHERE {condition})"

    # Quarter q counts the orders with fewest_q <= d <= most_q, and fewest_q is
    # most_(q-1) + 1: each quarter is the difference of two running counts
    # ("d <= most"), one comparison per order each. Likewise previous = sales - recent
    # (the recent half lies inside the window). Both databases evaluate an aggregate
    # written twice once, so the differences cost no extra pass.
    upto = [counted(since(most)) for _fewest, most in quarter_bounds(w)]
    counts = ", ".join(
        f"{here}{f' - {upto[q - 1]}' if q else ''} AS {name}"
        for q, (name, here) in enumerate(zip(QUARTER_COUNTS, upto, strict=True))
    )
    sales, recent_sales = summed("o.cents", window), summed("o.cents", recent)
    margined = f"{window} AND o.bp IS NOT NULL"
    day = f"{window} AND {fresh}" if fresh else window
    return f"""{day_to_date("MIN(o.day)")} AS first_on, {day_to_date("MAX(o.day)")} AS last_on,
    COUNT(*) AS n_all, COUNT(DISTINCT o.day) FILTER (WHERE {day}) AS n_days,
    {sales} AS sales, {recent_sales} AS recent, {sales} - {recent_sales} AS previous,
    {summed("o.cents", margined)} AS margin_base,
    {summed("o.cents * o.bp", margined)} AS profit_x,
    {counts}"""


def _order_facts_sql(as_of: dt.date, std: Standard, only: str) -> str:
    """Per scored customer (live, created by the end of as_of) with orders on or
    before as_of: the order facts, one GROUP BY.
    Parameters: the restriction's, then the end of as_of (an instant)."""
    # Which customers are scored depends on the customer alone, so it is asked once
    # per customer after the GROUP BY, not once per order.
    return f"""
  SELECT oa.* FROM (
    SELECT o.customer_id, {order_aggregates(as_of, std)}
    FROM (
      SELECT {order_columns()}
      FROM {Order._meta.db_table} o
      WHERE {order_day_column()} <= {day_sql(as_of)} {_restrict("o.customer_id", only)}
    ) o
    GROUP BY o.customer_id
  ) oa
  JOIN {Customer._meta.db_table} c ON c.id = oa.customer_id
  WHERE c.deleted_at IS NULL AND c.created_at < %s"""  # noqa: S608 - table names, integers and dates only


def order_facts_query(as_of: dt.date, std: Standard) -> tuple[str, list[Any]]:
    """The order part of the facts for every customer (the full run stores it in a
    table of its own and passes that table to `facts_query`)."""
    return _order_facts_sql(as_of, std, "all"), [_end_of(as_of)]


def facts_query(
    as_of: dt.date,
    std: Standard,
    only: str = "all",
    ids: Sequence[int] = (),
    offset: int | None = None,
    order_facts: str | None = None,
) -> tuple[str, list[Any]]:
    """The one facts statement and its parameters. `only` is "all", "one" (`ids` holds
    the customer), "ids" or "table" (the ids in ID_TABLE); `offset` is a fixed UTC
    offset for SQLite's local dates; `order_facts` names a table already holding
    `order_facts_query`'s rows."""
    v = vendor_sql()
    tz = settings.TIME_ZONE
    created, created_p = local_date_sql("c.created_at", tz, offset)
    last_int, last_int_p = local_date_sql("ia.last_at", tz, offset)
    oa = "" if order_facts else f"oa AS ({_order_facts_sql(as_of, std, only)}\n),"
    oa_join = f"{order_facts} oa" if order_facts else "oa"
    sql = f"""
WITH {oa}
ia AS (
  SELECT i.customer_id, MAX(i.occurred_at) AS last_at,
    SUM(CASE WHEN i.occurred_at >= %s THEN 1 ELSE 0 END) AS n_recent
  FROM {Interaction._meta.db_table} i
  WHERE i.occurred_at < %s {_restrict("i.customer_id", only)}
  GROUP BY i.customer_id
),
na AS (
  SELECT n.customer_id,
    SUM(CASE WHEN n.status <> 'done' THEN 1 ELSE 0 END) AS n_open,
    SUM(CASE WHEN n.matched_solution <> '' THEN 1 ELSE 0 END) AS n_matched
  FROM {Need._meta.db_table} n WHERE 1 = 1 {_restrict("n.customer_id", only)}
  GROUP BY n.customer_id
),
ca AS (
  SELECT k.customer_id, COUNT(*) AS n_contacts,
    MAX(CASE WHEN k.decision_role = 'decision_maker' OR k.is_key_person THEN 1 ELSE 0 END) AS dm,
    MAX(CASE WHEN k.is_key_person THEN 1 ELSE 0 END) AS kp
  FROM {Contact._meta.db_table} k WHERE 1 = 1 {_restrict("k.customer_id", only)}
  GROUP BY k.customer_id
)
SELECT c.id AS customer_id,
  {created} AS created_on,
  c.stage, c.industry, c.size_band, c.source, c.urgency,
  c.potential_class, c.contract_status,
  CASE WHEN c.is_strategic THEN 1 ELSE 0 END AS is_strategic, c.satisfaction,
  CASE WHEN c.budget_min IS NOT NULL OR c.budget_max IS NOT NULL THEN 1 ELSE 0 END
    AS budget_known,
  oa.first_on, oa.last_on, COALESCE(oa.n_all, 0) AS n_all, COALESCE(oa.n_days, 0) AS n_days,
  COALESCE(oa.sales, 0) AS sales, COALESCE(oa.recent, 0) AS recent,
  COALESCE(oa.previous, 0) AS previous, {ACTIVE_QUARTERS} AS quarters,
  COALESCE(oa.margin_base, 0) AS margin_base, COALESCE(oa.profit_x, 0) AS profit_x,
  {last_int} AS last_int_on,
  COALESCE(ia.n_recent, 0) AS n_recent,
  COALESCE(na.n_open, 0) AS n_open, COALESCE(na.n_matched, 0) AS n_matched,
  COALESCE(ca.n_contacts, 0) AS n_contacts, COALESCE(ca.dm, 0) AS dm, COALESCE(ca.kp, 0) AS kp,
  COALESCE(cp.payment_method, '') AS payment_method,
  CAST(ROUND(cp.monthly_plan * 100) AS {v["int"]}) AS plan,
  m.value AS maturity, m.promised_payment_on AS promised,
  CASE WHEN oa.last_on >= m.promise_made_on THEN 1 ELSE 0 END AS paid,
  {", ".join(f"COALESCE(oa.{c}, 0) AS {c}" for c in QUARTER_COUNTS)}
FROM {Customer._meta.db_table} c
LEFT JOIN {oa_join} ON oa.customer_id = c.id
LEFT JOIN ia ON ia.customer_id = c.id
LEFT JOIN na ON na.customer_id = c.id
LEFT JOIN ca ON ca.customer_id = c.id
LEFT JOIN {CreditProfile._meta.db_table} cp ON cp.customer_id = c.id
LEFT JOIN {CustomerMaturity._meta.db_table} m ON m.customer_id = c.id
WHERE c.deleted_at IS NULL AND c.created_at < %s {_restrict("c.id", only)}
"""  # noqa: S608 - table names and validated integers only; values are parameters
    ops = connection.ops
    end = _end_of(as_of)
    recent = day_start(as_of - dt.timedelta(days=std.interaction_days - 1))
    recent_v = ops.adapt_datetimefield_value(recent)
    one = [] if only in ("all", "table") else list(ids)
    if only == "ids":
        sql = sql.replace("{ids}", ", ".join(["%s"] * len(one)))
    orders = [] if order_facts else [*one, end]
    params = [*orders, recent_v, end, *one, *one, *one, *created_p, *last_int_p, end, *one]
    return sql, params


def sqlite_fixed_offset() -> int | None:
    """A fixed UTC offset valid over every stored creation and interaction instant
    (SQLite's fast path for local dates), or None."""
    if connection.vendor != "sqlite":
        return None
    # occurred_at is indexed, and SQLite reads a lone MIN or MAX from the index but
    # scans all of it for both in one query (0.09 s of a 2 s nightly run at 700k rows).
    talks = Interaction.objects.all()
    spans = [
        tuple(Customer.objects.aggregate(a=Min("created_at"), b=Max("created_at")).values()),
        (talks.aggregate(a=Min("occurred_at"))["a"], talks.aggregate(b=Max("occurred_at"))["b"]),
    ]
    return sqlite_offset(spans, settings.TIME_ZONE)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    return int(Decimal(str(value)).to_integral_value())


def row_to_facts(row: Sequence[Any], as_of: dt.date) -> Facts:
    (cid, created_at, stage, industry, size_band, source, urgency, potential_class,
     contract_status, is_strategic, satisfaction, budget_known, first_on, last_on, n_all,
     n_days, sales, recent, previous, quarters, margin_base, profit_x, last_at, n_recent,
     n_open, n_matched, n_contacts, dm, kp, payment_method, plan, maturity, promised,
     paid) = row[: len(COLUMNS)]  # fmt: skip
    return Facts(
        customer_id=cid,
        as_of=as_of,
        created_on=_date(created_at),
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
        last_interaction_on=_date(last_at),
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
    *,
    as_of: dt.date,
    standard: Standard,
    customer_id: int | None = None,
    customer_ids: Sequence[int] | None = None,
) -> list[Facts]:
    """Facts of every live customer created on or before `as_of`, of one, or of a
    list (`customer_ids`), ordered by customer id."""
    if customer_id is not None:
        only, ids = "one", [customer_id]
    elif customer_ids is not None:
        only, ids = "ids", list(customer_ids)
        if not ids:
            return []
    else:
        only, ids = "all", []
    sql, params = facts_query(as_of, standard, only, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY c.id", params)
        return [row_to_facts(row, as_of) for row in cursor.fetchall()]
