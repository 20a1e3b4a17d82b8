"""Follow-up benchmark (issue #6): call lists, next follow-ups, the list page, alerts.

Run by `python -m bench --calllist` (the parent part, `run`, starts one worker
process per database; the worker is `python -m bench.calllist`, bound to one bench
database through DATABASE_URL / GUANXI_VAR_DIR, printing JSON on stdout).

On a dataset from `guanxi demo --seed 1 --as-of 2025-06-30 --reps R`, for day D =
2025-06-30, it times, in one process, one after the other:

* call lists — ours: `calllists_build(D)` (every rep's list, written, with rollover,
  slots, reasons and the per-rep list rows) against one hand-written
  `ROW_NUMBER() OVER (PARTITION BY owner …)` query returning (rep, rank, customer)
  (the physical limit). Both must give the same (rep, rank, customer) set: checked.
* next follow-ups — ours: `followups_recompute(today=D)` (set-based) against the
  per-row way it replaced (one facts query, the pure `next_follow_up` per customer,
  no write); every stored row must equal the per-row result: checked.
* the list page — Django's test Client, logged in as the rep, on
  `reverse("followup:calllist")` when that page exists, else
  `/api/v1/calllist/?date=D&rep=<rep>`; p50/p95 over N requests.
* alerts — `run_alerts(as_of=D)`: the first run of the series and the steady
  state (later runs), with the slowest rules.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

AS_OF = "2025-06-30"
DAY = dt.date.fromisoformat(AS_OF)
GOAL_BUILD_S = 5.0
GOAL_RATIO = 1.2
GOAL_PAGE_MS = 100.0
GOAL_ALERTS_S = 30.0
Log = Callable[[str], None]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


# --- worker -----------------------------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()
    from django.conf import settings

    name = str(settings.DATABASES["default"]["NAME"])
    if name == str(settings.BASE_DIR / "var" / "guanxi.sqlite3") or not os.environ.get(
        "GX_BENCH_DATABASE"
    ):
        raise SystemExit(f"refusing to benchmark on {name!r}: not a bench database")


def ensure_dataset(customers: int, orders: int, reps: int) -> None:
    from django.core.management import call_command

    from guanxi.accounts.models import User
    from guanxi.customers.models import Customer

    call_command("migrate", verbosity=0)
    have = Customer.objects.count()
    if have:
        have_reps = User.objects.filter(username__startswith="rep_").count()
        if (have, have_reps) != (customers, reps):
            raise SystemExit(
                f"bench database holds {have:,} customers and {have_reps} reps, not "
                f"{customers:,} / {reps}: use another database (or --rebuild)"
            )
        log(f"dataset: reusing {have:,} customers, {have_reps} reps")
        return
    started = time.monotonic()
    call_command(
        "demo",
        customers=customers,
        orders=orders,
        reps=reps,
        seed=1,
        password=secrets.token_urlsafe(12),  # nobody logs in to a bench database
        history_months=0,  # the datasets of the published runs have no replayed history
        as_of=DAY,
        stdout=sys.stderr,
    )
    log(f"dataset: built in {time.monotonic() - started:.0f}s")


def raw_calllist_sql() -> str:
    """The hand-written baseline: the same candidates and order, nothing else."""
    from django.db import connection

    from guanxi.accounts.models import User
    from guanxi.customers.models import Customer
    from guanxi.followup.models import FollowUp, RepCapacity
    from guanxi.scoring.models import CustomerMaturity

    def t(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    return f"""
SELECT rep_id, rn, customer_id FROM (
  SELECT c.owner_id AS rep_id, c.id AS customer_id, COALESCE(rc.capacity, 60) AS cap,
    ROW_NUMBER() OVER (PARTITION BY c.owner_id ORDER BY
      CASE WHEN mt.value = '1' THEN 10 WHEN mt.value = '2' THEN 20
           WHEN COALESCE(f.deadline, %(day)s) < %(day)s THEN 30
           WHEN mt.value = '3k' THEN 50 WHEN mt.value = '3o' THEN 60
           WHEN COALESCE(mt.value, '0') = '0' THEN 80
           WHEN mt.value IN ('4k', '4o', '5') THEN 90 ELSE 100 END,
      COALESCE(f.deadline, %(day)s), COALESCE(f.next_due, %(day)s), c.id) AS rn
  FROM {t(Customer)} c
  JOIN {t(User)} u ON u.id = c.owner_id AND u.is_active
  LEFT JOIN {t(CustomerMaturity)} mt ON mt.customer_id = c.id
  LEFT JOIN {t(FollowUp)} f ON f.customer_id = c.id
  LEFT JOIN {t(RepCapacity)} rc ON rc.user_id = c.owner_id
  WHERE c.deleted_at IS NULL AND COALESCE(f.next_due, %(day)s) <= %(day)s
) r WHERE cap = 0 OR rn <= cap"""  # noqa: S608


def bench_calllists(repeat: int) -> dict[str, Any]:
    from django.db import connection

    from guanxi.followup.calllist import calllists_build, due_counts
    from guanxi.followup.models import CallList, CallListLine

    params = {"day": connection.ops.adapt_datefield_value(DAY)}
    sql = raw_calllist_sql()

    def raw() -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    calllists_build(DAY, trigger="bench")  # warm-up (and yesterday-less rollover)
    raw()
    ours_s, raw_s = [], []
    summary = None
    rows: list[tuple] = []
    for _ in range(repeat):  # interleaved, so load from other jobs hits both alike
        s, summary = _timed(lambda: calllists_build(DAY, trigger="bench"))
        ours_s.append(s)
        s, rows = _timed(raw)
        raw_s.append(s)
    lines = set(
        CallListLine.objects.filter(list_date=DAY).values_list("rep_id", "rank", "customer_id")
    )
    same = lines == set(rows)
    if not same:
        raise SystemExit(
            f"call lists differ: {len(lines - set(rows))} lines only in ours, "
            f"{len(set(rows) - lines)} only in the SQL query"
        )
    reps = CallList.objects.filter(list_date=DAY).values_list("rep_id", flat=True)
    due = sum(due_counts(DAY, list(reps)).values())
    return {
        "ours": ours_s,
        "raw": raw_s,
        "lists": summary.lists,
        "lines": summary.lines,
        "due": due,
        "identical": same,
    }


def bench_recompute(repeat: int, per_row: bool) -> dict[str, Any]:
    """Set-based recompute vs the per-row way; checks every stored row."""
    from django.db.models import Max
    from django.utils import timezone

    from guanxi.customers.models import Customer
    from guanxi.followup import selectors
    from guanxi.followup.cadence import CustomerFacts, next_follow_up
    from guanxi.followup.models import FollowUp
    from guanxi.followup.recompute import _segments, followups_recompute

    def local(v):
        return timezone.localdate(v) if v is not None else None

    def per_row_way() -> dict[int, tuple]:
        rules, cal = selectors.active_rules(), selectors.work_calendar()
        rows = (
            Customer.objects.alive()
            .annotate(last=Max("interactions__occurred_at"))
            .values_list(
                "pk",
                "created_at",
                "maturity__value",
                "score__value_tier",
                "score__four_class",
                "score__abc",
                "last",
            )  # fmt: skip
            .order_by("pk")
        )
        out = {}
        for pk, created, m, tier, four, abc, last in rows.iterator(chunk_size=5000):
            f = CustomerFacts(pk, local(created), m or "", _segments(tier, four, abc), local(last))
            nf = next_follow_up(f, rules, cal, DAY)
            out[pk] = (nf.last_contact_on, nf.next_due, nf.deadline, nf.touch, nf.rule_id)
        return out

    ours = [_timed(lambda: followups_recompute(today=DAY))[0] for _ in range(repeat)]
    out: dict[str, Any] = {"ours": ours}
    if per_row:
        s, want = _timed(per_row_way)
        got = {
            r[0]: r[1:]
            for r in FollowUp.objects.filter(customer__deleted_at__isnull=True).values_list(
                "customer_id", "last_contact_on", "next_due", "deadline", "touch", "rule_id"
            )
        }
        out.update(per_row=s, customers=len(want), identical=got == want)
        if got != want:
            bad = sum(1 for k, v in want.items() if got.get(k) != v)
            raise SystemExit(f"recompute differs from the pure per-row results for {bad} customers")
    return out


def bench_page(requests: int) -> dict[str, Any]:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from guanxi.accounts.models import User
    from guanxi.followup.models import CallListLine

    rep_id = (
        CallListLine.objects.filter(list_date=DAY, for_manager=False)
        .order_by("rep_id")
        .values_list("rep_id", flat=True)
        .first()
    )
    rep = User.objects.get(pk=rep_id)
    try:
        url = reverse("followup:calllist") + f"?date={DAY}"
        kind = "page followup:calllist"
    except NoReverseMatch:
        url = f"/api/v1/calllist/?date={DAY}&rep={rep.username}"
        kind = "API /api/v1/calllist/ (the page does not exist yet)"
    client = Client(HTTP_HOST="localhost")
    client.force_login(rep)
    first = client.get(url, secure=True)
    if first.status_code != 200:
        raise SystemExit(f"{url} answered {first.status_code}")
    times = []
    for _ in range(requests):
        s, resp = _timed(lambda: client.get(url, secure=True))
        assert resp.status_code == 200
        times.append(s * 1000)
    return {
        "url": url,
        "kind": kind,
        "rep": rep.username,
        "n": requests,
        "p50": statistics.median(times),
        "p95": _p(times, 0.95),
    }


def bench_alerts(runs: int) -> dict[str, Any]:
    from guanxi.alerts.job import run_alerts

    out = []
    for _ in range(runs):
        s, res = _timed(lambda: run_alerts(as_of=DAY))
        out.append(
            {
                "total": s,
                "facts": res.facts_seconds,
                "rules": {
                    r.rule: {
                        "s": r.seconds,
                        "causes": r.causes,
                        "opened": r.opened,
                        "closed": r.closed,
                    }
                    for r in res.rules
                },
            }
        )
    return {"runs": out}


def versions() -> dict[str, str]:
    import django
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            db = f"PostgreSQL {cur.fetchone()[0].split()[0]}"
        else:
            cur.execute("SELECT sqlite_version()")
            db = f"SQLite {cur.fetchone()[0]}"
    return {"database": db, "django": django.get_version()}


def worker(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.calllist")
    ap.add_argument("--customers", type=int, required=True)
    ap.add_argument("--orders", type=int, required=True)
    ap.add_argument("--reps", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--page-requests", type=int, default=50)
    ap.add_argument("--alert-runs", type=int, default=3)
    ap.add_argument("--no-per-row", action="store_true")
    ap.add_argument("--only", default="calllist,recompute,page,alerts")
    a = ap.parse_args(argv)
    setup_django()
    ensure_dataset(a.customers, a.orders, a.reps)
    parts = set(a.only.split(","))
    out: dict[str, Any] = {"versions": versions()}
    # recompute first: the call lists read the follow-ups it writes
    if "recompute" in parts:
        log("next follow-ups …")
        out["recompute"] = bench_recompute(a.repeat, per_row=not a.no_per_row)
    if "calllist" in parts:
        log("call lists …")
        out["calllist"] = bench_calllists(a.repeat)
    if "page" in parts:
        log("list page …")
        out["page"] = bench_page(a.page_requests)
    if "alerts" in parts and a.alert_runs:
        log("alerts …")
        out["alerts"] = bench_alerts(a.alert_runs)
    json.dump(out, sys.stdout)


# --- parent -----------------------------------------------------------------------


def size(text: str) -> tuple[int, int, int]:
    """`CUSTOMERS:ORDERS:REPS`, e.g. 200000:400000:50."""
    try:
        c, o, r = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CUSTOMERS:ORDERS:REPS, not {text!r}") from None
    if c <= 0 or o < 0 or r <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return c, o, r


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("follow-up benchmark (bench/calllist.py)")
    g.add_argument(
        "--calllist",
        action="store_true",
        help="run only the follow-up benchmark: call lists, next follow-ups, list page, alerts",
    )
    g.add_argument(
        "--calllist-size",
        type=size,
        default=(200_000, 400_000, 50),
        metavar="C:O:R",
        help="customers:orders:reps on the --db databases (default 200000:400000:50)",
    )
    g.add_argument(
        "--calllist-pg-size",
        type=size,
        metavar="C:O:R",
        help="also (or instead) PostgreSQL of this size, e.g. 1000000:2000000:200",
    )
    g.add_argument("--calllist-repeat", type=int, default=5, help="timed runs (median; default 5)")
    g.add_argument("--calllist-page-requests", type=int, default=50)
    g.add_argument("--calllist-alert-runs", type=int, default=3, help="0 leaves alerts out")
    g.add_argument("--calllist-no-per-row", action="store_true", help="skip the per-row recompute")
    g.add_argument(
        "--calllist-parts",
        default="calllist,recompute,page,alerts",
        help="comma-separated parts to run (default all: calllist,recompute,page,alerts)",
    )
    g.add_argument("--calllist-pg-db", help="PostgreSQL database to use (default gx_bench_C_O_rR)")
    g.add_argument("--calllist-sqlite-dir", help="SQLite directory (default <sqlite-dir>/C_O_rR)")


def _env(db: str, c: int, o: int, r: int, args: argparse.Namespace) -> dict[str, str]:
    from bench.__main__ import pg_admin, pg_exists

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    key = f"{c}_{o}_r{r}"
    env["GX_BENCH_DATABASE"] = "1"
    env["GUANXI_PLAIN_STATIC"] = "1"  # pages render without a collectstatic manifest
    var_dir = Path(args.calllist_sqlite_dir or Path(args.sqlite_dir) / key)
    if db == "postgresql":
        var_dir = Path(args.sqlite_dir) / f"pg-{key}"
        name = args.calllist_pg_db or f"{args.pg_db_prefix}_{key}"
        if args.rebuild:
            pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}"')
        if not pg_exists(args.pg_url, name):
            pg_admin(args.pg_url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlparse(args.pg_url)._replace(path=f"/{name}").geturl()
    elif args.rebuild and (var_dir / "guanxi.sqlite3").exists():
        (var_dir / "guanxi.sqlite3").unlink()
    var_dir.mkdir(parents=True, exist_ok=True)
    env["GUANXI_VAR_DIR"] = str(var_dir)
    return env


def _run_one(db: str, c: int, o: int, r: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== follow-up: {db}, {c:,} customers, {o:,} orders, {r} reps ==", flush=True)
    cmd = [
        sys.executable, "-m", "bench.calllist", f"--customers={c}", f"--orders={o}",
        f"--reps={r}", f"--repeat={args.calllist_repeat}",
        f"--page-requests={args.calllist_page_requests}",
        f"--alert-runs={args.calllist_alert_runs}", f"--only={args.calllist_parts}",
    ]  # fmt: skip
    if args.calllist_no_per_row:
        cmd.append("--no-per-row")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(  # noqa: S603 (our own module)
        cmd, env=_env(db, c, o, r, args), cwd=root, stdout=subprocess.PIPE, text=True
    )
    if proc.returncode:
        raise SystemExit(f"{db} follow-up benchmark failed (exit {proc.returncode})")
    data = json.loads(proc.stdout)
    data.update(db=db, customers=c, orders=o, reps=r)
    return data


def table(d: dict[str, Any]) -> str:
    med = statistics.median
    lines = [
        f"**{d['versions']['database']}**, {d['customers']:,} customers, {d['orders']:,} orders, "
        f"{d['reps']} reps, day {AS_OF} — seconds, median of the runs",
        "",
        "| what | s | runs | ratio (median of paired runs) | check | goal |",
        "|---|---:|---|---:|---|---|",
    ]
    cl = d.get("calllist")
    if cl:
        ours, raw = med(cl["ours"]), med(cl["raw"])
        # runs are interleaved pairs: the median of the pairs' ratios is the least
        # disturbed by load from other jobs
        ratio = med(o / r for o, r in zip(cl["ours"], cl["raw"], strict=True))
        ok = ours < GOAL_BUILD_S and ratio <= GOAL_RATIO
        lines += [
            f"| call lists, ours: `calllists_build` ({cl['lists']} lists, {cl['lines']:,} lines, "
            f"{cl['due']:,} due) | {ours:.2f} | {' · '.join(f'{x:.2f}' for x in cl['ours'])} "
            f"| **{ratio:.2f}** | same (rep, rank, customer) as SQL: {cl['identical']} "
            f"| < {GOAL_BUILD_S:.0f} s and ≤ {GOAL_RATIO}×: {'met' if ok else 'NOT met'} |",
            f"| call lists, one hand-written `ROW_NUMBER()` query | {raw:.2f} "
            f"| {' · '.join(f'{x:.2f}' for x in cl['raw'])} | 1.00 | | |",
        ]
    rc = d.get("recompute")
    if rc:
        ours = med(rc["ours"])
        lines.append(
            f"| next follow-ups, ours: set-based `followups_recompute` | {ours:.2f} "
            f"| {' · '.join(f'{x:.2f}' for x in rc['ours'])} | 1.00 "
            + (
                f"| every stored row = pure per-row result ({rc['customers']:,}): "
                f"{rc['identical']} | |"
                if "per_row" in rc
                else "| | |"
            )
        )
        if "per_row" in rc:
            lines.append(
                f"| next follow-ups, per row: facts query + pure `next_follow_up` each, no write "
                f"| {rc['per_row']:.2f} | 1 run | {rc['per_row'] / ours:.2f} | | |"
            )
    pg = d.get("page")
    if pg:
        lines.append(
            f"| one rep's list: {pg['kind']}, {pg['n']} requests (ms) | p50 {pg['p50']:.1f} · "
            f"p95 {pg['p95']:.1f} | | | `{pg['url']}` as {pg['rep']} | < {GOAL_PAGE_MS:.0f} ms: "
            f"{'met' if pg['p95'] < GOAL_PAGE_MS else 'NOT met'} |"
        )
    al = d.get("alerts")
    if al:
        runs = al["runs"]
        steady = runs[1:] or runs
        total = med(r["total"] for r in steady)
        slow = sorted(steady[-1]["rules"].items(), key=lambda kv: -kv[1]["s"])[:3]
        lines.append(
            f"| alerts job `run_alerts` (first run {runs[0]['total']:.2f} s, "
            f"{sum(v['opened'] for v in runs[0]['rules'].values()):,} opened) | {total:.2f} "
            f"| {' · '.join(format(r['total'], '.2f') for r in runs)} | | shared facts "
            f"{steady[-1].get('facts', 0):.1f}, slowest: "
            + ", ".join(f"{k} {v['s']:.1f}" for k, v in slow)
            + f" | < {GOAL_ALERTS_S:.0f} s: {'met' if total < GOAL_ALERTS_S else 'NOT met'} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> list[str]:
    """Parent side: one worker per database; returns the Markdown tables."""
    dbs = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["sqlite", "postgresql"]}
    targets = [
        (db, *args.calllist_size)
        for db in dbs[args.db]
        if not (db == "postgresql" and args.calllist_pg_size)
    ]
    if args.calllist_pg_size:
        targets.append(("postgresql", *args.calllist_pg_size))
    blocks = []
    for db, c, o, r in targets:
        blocks.append(table(_run_one(db, c, o, r, args)))
        print("\n" + blocks[-1], flush=True)
    return blocks


if __name__ == "__main__":
    worker()
