"""Scoring benchmark, run in a worker process bound to one bench database.

On a dataset from `guanxi demo --seed 1 --as-of 2025-06-30` it times, as of
2025-06-30 with the default standard (quintile RFM, 365-day sales window):

* ours full   — `recompute_all()`: every score of every customer, with history
                diff and bulk merge, in one transaction; phases from its
                progress callback (facts SQL, cut-offs + rules, diff + write);
* ours RFM    — the RFM part of the same code path: the run's one pass over the
                orders (every order fact, not only RFM's), the cut-offs, then
                R/F/M by the run's own SQL written as (customer_id, r, f, m)
                into a scratch table;
* (a) NTILE   — one hand-written INSERT … SELECT: GROUP BY orders, three
                `NTILE(5)` windows, written into a scratch table (the physical
                limit). It reads the columns our run reads (the integer cents
                of the order table, and on SQLite its day numbers). NTILE
                splits ties to fill equal buckets; our rule never splits ties
                (docs/scoring.md §4.4), so the results differ;
* (a') exact  — the same single statement with our tie rule (nearest-rank
                cut-offs via ROW_NUMBER, then `5 - #{value > c_k}`): the limit
                for the same result; also the correctness check of ours;
* (b) pandas  — what an analyst would write: `read_sql` of the orders → groupby
                → `qcut(rank(method="first"))` → write back (`to_sql` on
                SQLite, `executemany` on PostgreSQL) on a connection of its own;
* ours nightly — the run the Huey job makes every night: a day's writes are
                added first (as many orders as the dataset's average day, 1/730
                of it, and as many interactions: copies of randomly drawn
                existing ones, bulk-inserted and dated that day), then
                `recompute_all()` as of that day rescores whoever can have
                moved (docs/scoring.md §1); the day's rows are deleted at the
                end. "ours full" is `recompute_all(full=True)`, from scratch;
* incremental — `recompute_customer(id)` for random customers (p50/p95).

Usage (normally via `python -m bench --scoring`): the parent sets DATABASE_URL /
GUANXI_VAR_DIR before this module imports Django, and reads JSON from stdout.
"""

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

from bench.customer_list import AS_OF, _Log, p95, setup_django, versions

SCRATCH = {
    "ours": "bench_rfm_ours",
    "ntile": "bench_rfm_ntile",
    "exact": "bench_rfm_exact",
    "pandas": "bench_rfm_pandas",
}
AS_OF_DATE = dt.date.fromisoformat(AS_OF)

Log = Callable[[str], None]


# --- dataset --------------------------------------------------------------------


def ensure_dataset(customers: int, orders: int, log: Log) -> None:
    """Build the dataset once; refuse a database of other sizes (the parent names
    databases by size, so that means someone changed it by hand)."""
    from django.core.management import call_command

    from guanxi.customers.models import Customer, Order

    call_command("migrate", verbosity=0)
    have = Customer.objects.count()
    if have:
        forget_days()  # rows a crashed run's bench days left behind
        have_orders = Order.objects.count()
        if (have, have_orders) != (customers, orders):
            raise SystemExit(
                f"bench database holds {have:,} customers / {have_orders:,} orders, not "
                f"{customers:,} / {orders:,}: run with --rebuild (the parent recreates it)"
            )
        log(f"dataset: reusing {have:,} customers, {have_orders:,} orders")
        return
    started = time.monotonic()
    call_command(
        "demo",
        customers=customers,
        orders=orders,
        seed=1,
        password=secrets.token_urlsafe(12),  # nobody logs in to a bench database
        history_months=0,  # the datasets of the published runs have no replayed history
        as_of=AS_OF_DATE,
        stdout=_Log(log),
    )
    log(f"dataset: {customers:,} customers, {orders:,} orders in {time.monotonic() - started:.0f}s")


def _pg() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def prepare_scratch() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in SCRATCH.values():
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (customer_id bigint PRIMARY KEY, "
                "r smallint NOT NULL, f smallint NOT NULL, m smallint NOT NULL)"
            )


def vacuum(log: Log) -> None:
    """VACUUM (ANALYZE) the bench database (PostgreSQL; untimed). The demo load and
    every full run rewrite whole tables, leaving a dead copy of each row they
    update. In use autovacuum cleans that up within minutes, and a nightly run comes
    a day after a full run. The server of the published runs has autovacuum turned
    off, and the timed runs here follow each other within seconds, so the bench does
    the cleaning itself: before the timed runs, and between the full runs and the
    nightly ones. SQLite rewrites in place and needs none.

    A CHECKPOINT follows, for the same reason: the runs write gigabytes of WAL, and
    within a day the server's own checkpoints (every 5 minutes by default) would have
    flushed them; here the next one would fall in the middle of a timed run."""
    from django.db import connection

    if _pg():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute("CHECKPOINT")
        log(f"vacuum + checkpoint (untimed): {time.perf_counter() - started:.1f} s")


def clear(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}" if _pg() else f"DELETE FROM {table}")


def drop_scratch() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in SCRATCH.values():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def window_start(sales_days: int) -> dt.date:
    """First day of the sales window: ordered_on ∈ [as_of − W + 1, as_of]."""
    return AS_OF_DATE - dt.timedelta(days=sales_days - 1)


def _scored_customers_params() -> list[Any]:
    """Customers scored: live and created before the end of the local as_of day."""
    from django.db import connection

    from guanxi.scoring.facts import day_start

    end = day_start(AS_OF_DATE + dt.timedelta(days=1))
    return [connection.ops.adapt_datetimefield_value(end)]


# --- (a) and (a'): one hand-written statement -----------------------------------


def _aggregate_sql() -> str:
    """Per buying customer: recency days, distinct order days and sales (cents) in
    the window — the definitions of docs/scoring.md §3, written by hand. It reads the
    integer cents the order table keeps (Order.amount_cents, in PostgreSQL's covering
    index) and on SQLite the day numbers (Order.ordered_day), as our run does, so the
    limit gets the same head start; FILTER runs faster than a CASE inside the
    aggregate on both databases."""
    if _pg():
        recency, day = "%s::date - MAX(o.ordered_on)", "o.ordered_on"
    else:
        recency, day = "%s - MAX(o.ordered_day)", "o.ordered_day"
    cents = "o.amount_cents"
    return f"""
  SELECT o.customer_id, {recency} AS recency,
    COUNT(DISTINCT {day}) FILTER (WHERE {day} >= %s) AS freq,
    COALESCE(SUM({cents}) FILTER (WHERE {day} >= %s), 0) AS sales
  FROM customers_order o JOIN customers_customer c ON c.id = o.customer_id
  WHERE {day} <= %s AND c.deleted_at IS NULL AND c.created_at < %s
  GROUP BY o.customer_id"""


def _aggregate_params(sales_days: int) -> list[Any]:
    from django.db import connection

    from guanxi.core.expressions import epoch_day

    first = window_start(sales_days)
    if _pg():
        day = connection.ops.adapt_datefield_value(AS_OF_DATE)
        start = connection.ops.adapt_datefield_value(first)
    else:
        day, start = epoch_day(AS_OF_DATE), epoch_day(first)
    return [day, start, start, day, *_scored_customers_params()]


def ntile_sql() -> str:
    return f"""
INSERT INTO {SCRATCH["ntile"]} (customer_id, r, f, m)
SELECT t.customer_id,
  NTILE(5) OVER (ORDER BY t.recency DESC),
  NTILE(5) OVER (ORDER BY t.freq),
  NTILE(5) OVER (ORDER BY t.sales)
FROM ({_aggregate_sql()}) t"""


def exact_sql() -> str:
    """Our tie rule in one statement: c_k = x_(ceil(k·n/5)) by ROW_NUMBER, then
    R = 5 − #{recency > c_k}, F = 1 + #{freq > c_k}, M = 1 + #{sales > c_k}."""

    def cut(metric: str, rank: str) -> str:
        return ", ".join(
            f"MAX(CASE WHEN {rank} = ({k} * n + 4) / 5 THEN {metric} END) AS {metric}{k}"
            for k in range(1, 5)
        )

    def above(metric: str) -> str:
        return " + ".join(
            f"CASE WHEN t.{metric} > q.{metric}{k} THEN 1 ELSE 0 END" for k in range(1, 5)
        )

    return f"""
INSERT INTO {SCRATCH["exact"]} (customer_id, r, f, m)
WITH t AS ({_aggregate_sql()}
),
ranked AS (
  SELECT recency, freq, sales, COUNT(*) OVER () AS n,
    ROW_NUMBER() OVER (ORDER BY recency) AS rr,
    ROW_NUMBER() OVER (ORDER BY freq) AS fr,
    ROW_NUMBER() OVER (ORDER BY sales) AS mr
  FROM t
),
q AS (SELECT {cut("recency", "rr")}, {cut("freq", "fr")}, {cut("sales", "mr")} FROM ranked)
SELECT t.customer_id, 5 - ({above("recency")}), 1 + ({above("freq")}), 1 + ({above("sales")})
FROM t CROSS JOIN q"""


def run_statement(name: str, sql: str, sales_days: int) -> float:
    """One hand-written statement in its own transaction, under the session settings
    our run gives itself (fullrun.batch_settings: memory for sorts and hashes, and a
    commit that does not wait for the disk), so the limit is measured as tuned as ours."""
    from django.db import connection, transaction

    from guanxi.scoring import fullrun

    clear(SCRATCH[name])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        fullrun.batch_settings()
        cursor.execute(sql, _aggregate_params(sales_days))
    return time.perf_counter() - started


# --- ours -------------------------------------------------------------------------


def ours_full(as_of: dt.date = AS_OF_DATE, *, full: bool = False) -> dict[str, float]:
    """recompute_all with phase times from its progress callback (`full`: from
    scratch; otherwise a nightly run when the previous run allows it)."""
    from guanxi.scoring.recompute import recompute_all

    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        marks[phase] = time.perf_counter() - started  # a phase ends at its last report

    summary = recompute_all(as_of=as_of, progress=progress, trigger="bench", full=full)
    total = time.perf_counter() - started
    facts = marks.get("facts", 0.0)
    scores = marks.get("scores", facts)
    history = marks.get("history", scores)
    write = marks.get("write", history)
    return {
        "total": total,
        "facts": facts,
        "rules": scores - facts,
        "history": history - scores,
        "write": write - history,
        "commit": total - write,
        "customers": summary.customers,
        "changes": summary.changes,
        "rescored": summary.rescored,
        "refreshed": summary.refreshed,
    }


# --- a day of writes -----------------------------------------------------------------

DAY_MARK = "bench-day"  # product line / summary of the rows a bench day adds


def forget_days() -> None:
    """Delete the rows bench days added (also after a crashed run)."""
    from guanxi.customers.models import Interaction, Order

    Order.objects.filter(product_line=DAY_MARK).delete()
    Interaction.objects.filter(summary=DAY_MARK).delete()


def _sample_rows(table: str, columns: str, k: int, rng: random.Random) -> list[tuple]:
    """About `k` rows of `table` (live customers only) drawn at random by id, so a day
    looks like the dataset's own days: its busy customers buy more often, its amounts
    are its amounts."""
    from django.db import connection

    from guanxi.customers.models import Customer

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        lo, hi = cursor.fetchone()
        ids = rng.sample(range(lo, hi + 1), min(2 * k, hi - lo + 1))
        rows: list[tuple] = []
        for n in range(0, len(ids), 1000):
            chunk = ids[n : n + 1000]
            cursor.execute(
                f"SELECT {columns} FROM {table} t JOIN {Customer._meta.db_table} c "
                f"ON c.id = t.customer_id AND c.deleted_at IS NULL "
                f"WHERE t.id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            rows.extend(cursor.fetchall())
            if len(rows) >= k:
                break
    return rows[:k]


def add_day(day: dt.date, orders: int, seed: int) -> int:
    """A day's orders and as many interactions, written the way an import or the API
    writes them (bulk inserts through the ORM, so the change-log triggers see them):
    copies, dated that day, of randomly drawn existing orders and interactions (their
    customer, amount, owner). Returns rows written."""
    import zoneinfo

    from django.conf import settings
    from django.db import transaction

    from guanxi.customers.choices import Channel
    from guanxi.customers.models import Interaction, Order

    rng = random.Random(seed)
    bought = _sample_rows(Order._meta.db_table, "t.customer_id, t.amount", orders, rng)
    talked = _sample_rows(Interaction._meta.db_table, "t.customer_id, t.owner_id", orders, rng)
    at = dt.datetime.combine(day, dt.time(10), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    with transaction.atomic():
        Order.objects.bulk_create(
            (
                Order(customer_id=cid, ordered_on=day, amount=amount, product_line=DAY_MARK)
                for cid, amount in bought
            ),
            batch_size=5000,
        )
        Interaction.objects.bulk_create(
            (
                Interaction(
                    customer_id=cid,
                    owner_id=owner,
                    occurred_at=at,
                    channel=Channel.PHONE,
                    summary=DAY_MARK,
                )  # fmt: skip
                for cid, owner in talked
            ),
            batch_size=5000,
        )
    return len(bought) + len(talked)


def ours_rfm() -> dict[str, float]:
    """The RFM part of recompute_all, phase by phase: the order facts (the run's one
    pass over the orders), the cut-offs, and R/F/M by the run's own SQL expressions
    written as (customer_id, r, f, m)."""
    from django.db import connection, transaction

    from guanxi.scoring import fullrun
    from guanxi.scoring.services import standard_ensure_active
    from guanxi.scoring.sqlscore import rfm_sql
    from guanxi.scoring.standards import parse_standard

    clear(SCRATCH["ours"])
    std = parse_standard(standard_ensure_active())
    t0 = time.perf_counter()
    with transaction.atomic():
        fullrun.batch_settings()
        fullrun.build_order_facts(AS_OF_DATE, std)
        t1 = time.perf_counter()
        cut = fullrun.cutoffs(std, AS_OF_DATE, fullrun.ORDERS)
        t2 = time.perf_counter()
        r, f, m = rfm_sql(cut)
        buyers, params = fullrun.buyers_query(AS_OF_DATE, fullrun.ORDERS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SCRATCH['ours']} (customer_id, r, f, m) "
                f"SELECT customer_id, {r}, {f}, {m} FROM ({buyers}) x",
                params,
            )
            written = cursor.rowcount
        fullrun.drop_tables()
    t3 = time.perf_counter()
    return {
        "total": t3 - t0,
        "facts": t1 - t0,
        "cutoffs": t2 - t1,
        "write": t3 - t2,
        "buyers": written,
    }


# --- (b) pandas -------------------------------------------------------------------


def pandas_rfm(sales_days: int) -> dict[str, float]:
    """RFM as an analyst writes it, on a connection of its own (as a notebook would)."""
    import pandas as pd
    from django.conf import settings

    clear(SCRATCH["pandas"])
    pg = _pg()
    started = time.perf_counter()
    if pg:
        import psycopg

        conn: Any = psycopg.connect(os.environ["DATABASE_URL"])
    else:
        import sqlite3

        conn = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
    try:
        # The orders of the scored customers; the date filter is applied in pandas:
        # with `ordered_on <= ?` in SQL, SQLite (no statistics) walks the order_date
        # index and reads 2M orders 6x slower than a plain scan.
        sql = (
            "SELECT o.customer_id, o.ordered_on, o.amount FROM customers_order o "
            "JOIN customers_customer c ON c.id = o.customer_id "
            f"WHERE c.deleted_at IS NULL AND c.created_at < {'%s' if pg else '?'}"
        )
        with warnings.catch_warnings():  # pandas only "tests" SQLAlchemy and sqlite3
            warnings.simplefilter("ignore", UserWarning)
            df = pd.read_sql(
                sql, conn, params=_scored_customers_params(), parse_dates=["ordered_on"]
            )
        t_read = time.perf_counter()
        as_of = pd.Timestamp(AS_OF_DATE)
        df = df[df["ordered_on"] <= as_of]
        df = df.assign(days=(as_of - df["ordered_on"]).dt.days)
        rfm = df.groupby("customer_id").agg(recency=("days", "min"))
        window = df[df["days"] < sales_days].groupby("customer_id")
        rfm["frequency"] = window["ordered_on"].nunique().reindex(rfm.index, fill_value=0)
        rfm["monetary"] = window["amount"].sum().reindex(rfm.index, fill_value=0)
        rfm["r"] = pd.qcut(rfm["recency"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1])
        rfm["f"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
        rfm["m"] = pd.qcut(rfm["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
        out = rfm[["r", "f", "m"]].astype(int).reset_index()
        t_compute = time.perf_counter()
        if pg:
            with conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {SCRATCH['pandas']} (customer_id, r, f, m) "
                    "VALUES (%s, %s, %s, %s)",
                    out.to_numpy().tolist(),
                )
            conn.commit()
        else:
            out.to_sql(SCRATCH["pandas"], conn, if_exists="append", index=False, chunksize=10000)
            conn.commit()
    finally:
        conn.close()
    done = time.perf_counter()
    return {
        "total": done - started,
        "read": t_read - started,
        "compute": t_compute - t_read,
        "write": done - t_compute,
        "orders_read": len(df),
        "buyers": len(out),
    }


# --- incremental ------------------------------------------------------------------


def incremental(samples: int, log: Log) -> dict[str, Any]:
    from guanxi.customers.models import Customer
    from guanxi.scoring.recompute import recompute_customer

    ids = list(Customer.objects.filter(deleted_at__isnull=True).values_list("id", flat=True))
    picked = random.Random(7).sample(ids, min(samples, len(ids)))
    for cid in picked[:5]:  # warm-up: statement cache, standard, cut-offs
        recompute_customer(cid, as_of=AS_OF_DATE)
    times = []
    for cid in picked:
        started = time.perf_counter()
        recompute_customer(cid, as_of=AS_OF_DATE)
        times.append((time.perf_counter() - started) * 1000)
    log(
        f"incremental: {len(times)} customers, p50 {statistics.median(times):.2f} ms, "
        f"p95 {p95(times):.2f} ms, max {max(times):.2f} ms"
    )
    return {
        "n": len(times),
        "p50": statistics.median(times),
        "p95": p95(times),
        "max": max(times),
    }


# --- agreement --------------------------------------------------------------------


def agreement() -> dict[str, Any]:
    """How each method's R/F/M compare with the exact-rule statement."""
    from django.db import connection

    from guanxi.scoring.models import CustomerScore

    out: dict[str, Any] = {}
    tables = {**SCRATCH, "stored": CustomerScore._meta.db_table}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {SCRATCH['exact']}")
        n = cursor.fetchone()[0]
        for name, table in tables.items():
            if name == "exact":
                continue
            where = "WHERE x.r IS NOT NULL" if name == "stored" else ""
            cursor.execute(
                "SELECT COUNT(*), "
                "SUM(CASE WHEN x.r = e.r THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN x.f = e.f THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN x.m = e.m THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN x.r = e.r AND x.f = e.f AND x.m = e.m THEN 1 ELSE 0 END) "
                f"FROM {table} x JOIN {SCRATCH['exact']} e ON e.customer_id = x.customer_id "
                f"{where}"
            )
            joined, r, f, m, all3 = (int(v or 0) for v in cursor.fetchone())
            cursor.execute(f"SELECT COUNT(*) FROM {table} x {where}")
            rows = cursor.fetchone()[0]
            out[name] = {"rows": rows, "joined": joined, "r": r, "f": f, "m": m, "all": all3}
    out["population"] = n
    return out


# --- main -------------------------------------------------------------------------


def med(values: list[dict[str, float]]) -> dict[str, float]:
    """Per-key median over repeated runs (the run with the median total is not
    the same as per-phase medians, but phases rarely disagree)."""
    return {k: statistics.median(v[k] for v in values) for k in values[0]}


def rfm_pairs(pairs: int, log: Log) -> dict[str, Any]:
    """(a) NTILE and ours RFM part, alternated `pairs` times after one warm-up NTILE:
    on a machine whose speed drifts, the ratio of each pair is the steadier number."""
    from guanxi.scoring.services import standard_ensure_active
    from guanxi.scoring.standards import parse_standard

    days = int(parse_standard(standard_ensure_active()).sales_days)
    prepare_scratch()
    vacuum(log)
    run_statement("ntile", ntile_sql(), days)
    out = []
    for i in range(1, pairs + 1):
        ntile = run_statement("ntile", ntile_sql(), days)
        ours = ours_rfm()["total"]
        out.append({"ntile": ntile, "ours": ours})
        log(f"[{i}/{pairs}] NTILE {ntile:.2f} s, ours RFM part {ours:.2f} s: {ours / ntile:.2f}")
    return {"pairs": out}


def run(repeat: int, samples: int, log: Log) -> dict[str, Any]:
    from django.db import connection

    from guanxi.customers.models import Order
    from guanxi.scoring.services import standard_ensure_active
    from guanxi.scoring.standards import parse_standard

    std = parse_standard(standard_ensure_active())
    days = int(std.sales_days)
    prepare_scratch()
    vacuum(log)
    log("warm-up: one untimed NTILE statement (reads the orders into the cache)")
    run_statement("ntile", ntile_sql(), days)
    res: dict[str, list[Any]] = {
        k: []
        for k in ("ntile", "exact", "pandas", "ours_rfm", "ours_full", "ours_rerun", "nightly")
    }
    forget_days()
    log("warm-up: scores as of the reference date (a rerun then finds them unchanged)")
    ours_full(full=True)
    for i in range(1, repeat + 1):
        res["ntile"].append({"total": run_statement("ntile", ntile_sql(), days)})
        log(f"[{i}/{repeat}] (a) NTILE statement      {res['ntile'][-1]['total']:8.2f} s")
        res["exact"].append({"total": run_statement("exact", exact_sql(), days)})
        log(f"[{i}/{repeat}] (a') exact-rule statement {res['exact'][-1]['total']:8.2f} s")
        res["ours_rfm"].append(ours_rfm())
        o = res["ours_rfm"][-1]
        log(
            f"[{i}/{repeat}] ours RFM part             {o['total']:8.2f} s (orders {o['facts']:.2f}"
            f", cut-offs {o['cutoffs']:.2f}, r/f/m + write {o['write']:.2f})"
        )
        res["pandas"].append(pandas_rfm(days))
        p = res["pandas"][-1]
        log(
            f"[{i}/{repeat}] (b) pandas                {p['total']:8.2f} s (read {p['read']:.2f}"
            f", compute {p['compute']:.2f}, write {p['write']:.2f})"
        )
        # From scratch: every customer's facts rebuilt and everyone rescored, on the
        # next day, then back on the reference date (as the agreement check expects).
        for day in (AS_OF_DATE + dt.timedelta(days=1), AS_OF_DATE):
            res["ours_full"].append(ours_full(day, full=True))
            o = res["ours_full"][-1]
            log(
                f"[{i}/{repeat}] ours full run {day}       {o['total']:8.2f} s (facts "
                f"{o['facts']:.2f}, scores {o['rules']:.2f}, history ∥ merge "
                f"{o['history']:.2f}, history rows {o['write']:.2f}, commit {o['commit']:.2f}; "
                f"{o['changes']:,} changes)"
            )
        res["ours_rerun"].append(ours_full())
        o = res["ours_rerun"][-1]
        log(f"[{i}/{repeat}] ours rerun, same data     {o['total']:8.2f} s")
    # Nightly runs: each day's writes, then the run as of that day.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Order._meta.db_table}")
        per_day = max(1, cursor.fetchone()[0] // 730)  # the dataset spans 24 months
    vacuum(log)
    for i in range(1, repeat + 1):
        day = AS_OF_DATE + dt.timedelta(days=i)
        written = add_day(day, per_day, seed=i)
        res["nightly"].append({**ours_full(day), "written": written})
        o = res["nightly"][-1]
        log(
            f"[{i}/{repeat}] ours nightly run {day}    {o['total']:8.2f} s after {written:,} "
            f"rows written (facts {o['facts']:.2f}, scores {o['rules']:.2f}, history ∥ "
            f"merge {o['history']:.2f}, history rows {o['write']:.2f}, commit {o['commit']:.2f}; "
            f"{o['refreshed']:,} facts refreshed, {o['rescored']:,} rescored, "
            f"{o['changes']:,} changes)"
        )
    forget_days()
    ours_full()  # back on the reference date (a nightly run), for the agreement check
    agree = agreement()
    log(f"agreement with the exact rule: {json.dumps(agree)}")
    inc = incremental(samples, log)
    return {
        "timings": {k: med(v) for k, v in res.items()},
        "runs": res,
        "agreement": agree,
        "incremental": inc,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--incremental", type=int, default=200)
    parser.add_argument("--keep-scratch", action="store_true")
    parser.add_argument("--rfm-pairs", type=int, default=0)
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    setup_django()
    ensure_dataset(args.customers, args.orders, log)
    if args.rfm_pairs:
        data = rfm_pairs(args.rfm_pairs, log)
    else:
        data = run(args.repeat, args.incremental, log)
    if not args.keep_scratch:
        drop_scratch()
    data["versions"] = versions()
    json.dump(data, sys.stdout)


if __name__ == "__main__":
    main()
