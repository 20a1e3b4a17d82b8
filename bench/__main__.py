"""`make bench` / `python -m bench`: the customer-list benchmark on bench databases.

    python -m bench                      # SQLite, 100k customers (built once, reused)
    python -m bench --db both            # SQLite and PostgreSQL, 100k each
    python -m bench --pg-1m              # PostgreSQL with 1M customers (slow to build)
    python -m bench --markdown out.md    # also write the tables as Markdown
    python -m bench --scoring            # only the scoring benchmark (SQLite, 50k / 500k)
    python -m bench --scoring --scoring-size 200000:2000000 --scoring-pg-size 1000000:10000000
    python -m bench --imports --db both      # the import benchmark (bench/imports.py)
    python -m bench --calllist           # follow-up: call lists, next follow-ups, alerts (SQLite)
    python -m bench --exports --db both  # export of 1M order rows: streamed CSV, XLSX, raw COPY

`make bench` runs the customer-list benchmark and then the scoring benchmark
(bench/scoring.py) at its default size; --skip-scoring leaves the latter out.

Datasets come from `guanxi demo --seed 1 --as-of 2025-06-30` and live in
/tmp/gx-bench/<N>/ (SQLite) or the PostgreSQL database gx_bench_<N> (N customers,
2N orders; other order counts: <N>_<M> and gx_bench_<N>_<M>); the
development database is never touched. Each database runs in its own worker
process (Django reads the database settings once, at start-up).
"""

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench import calllist as calllist_bench
from bench import exports as exports_bench
from bench import imports as imports_bench

ROOT = Path(__file__).resolve().parent.parent
GOAL_P95_MS = 50.0
GOAL_RATIO = 1.3
SCORING_GOAL_NTILE = 1.5  # RFM part within 1.5x of one hand-written NTILE statement
SCORING_GOAL_PANDAS = 3.0  # whole recompute at least 3x faster than pandas
SCORING_GOAL_INCREMENTAL_MS = 50.0


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    if shutil.which("free"):
        out = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout  # noqa: S607
        mem = next((ln.split()[1] for ln in out.splitlines() if ln.startswith("Mem:")), mem)
    return {
        "date": dt.date.today().isoformat(),
        "cpus": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu,
        "python": platform.python_version(),
    }


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    u = urlparse(url)
    with psycopg.connect(
        host=u.hostname,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def pg_exists(url: str, name: str) -> bool:
    import psycopg

    u = urlparse(url)
    with psycopg.connect(
        host=u.hostname,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        dbname="postgres",
    ) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def target_env(
    db: str, customers: int, args: argparse.Namespace, orders: int | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    key = str(customers) if orders in (None, 2 * customers) else f"{customers}_{orders}"
    var_dir = Path(args.sqlite_dir) / (key if db == "sqlite" else f"pg-{key}")
    if db == "sqlite" and args.rebuild and var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    env["GUANXI_VAR_DIR"] = str(var_dir)
    if db == "postgresql":
        name = f"{args.pg_db_prefix}_{key}"
        url = urlparse(args.pg_url)._replace(path=f"/{name}").geturl()
        if args.rebuild:
            pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}"')
        if not pg_exists(args.pg_url, name):
            pg_admin(args.pg_url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = url
    return env


def run_target(db: str, customers: int, orders: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {db}, {customers:,} customers ==", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "bench.customer_list",
        f"--customers={customers}",
        f"--orders={orders}",
        f"--repeat={args.repeat}",
    ]
    proc = subprocess.run(  # noqa: S603 (our own module)
        cmd, env=target_env(db, customers, args), cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    if proc.returncode:
        raise SystemExit(f"{db} benchmark failed (exit {proc.returncode})")
    data = json.loads(proc.stdout)
    data.update(db=db, customers=customers, orders=orders)
    return data


def table(data: dict[str, Any]) -> str:
    lines = [
        f"**{data['versions']['database']}**, {data['customers']:,} customers, "
        f"{data['orders']:,} orders — times in ms",
        "",
        "| persona | scenario | rows | page | plan | ours p50 | ours p95 | raw p50 | raw p95 "
        "| ours/raw p50 | offset p50 | offset p95 | goal |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in data["results"]:
        ratio = r["ours_p50"] / r["raw_p50"] if r["raw_p50"] else float("inf")
        ok_p95 = r["ours_p95"] < GOAL_P95_MS
        ok_ratio = ratio <= GOAL_RATIO
        goal = "ok" if ok_p95 and ok_ratio else ("p95 ok" if ok_p95 else "**slow**")
        lines.append(
            f"| {r['persona']} | {r['scenario']} | {r['rows']:,} | {r['page']} | {r['plan']} "
            f"| {r['ours_p50']:.2f} | {r['ours_p95']:.2f} | {r['raw_p50']:.2f} "
            f"| {r['raw_p95']:.2f} | {ratio:.2f} | {r['offset_p50']:.2f} "
            f"| {r['offset_p95']:.2f} | {goal} |"
        )
    worst = max(data["results"], key=lambda r: r["ours_p95"])
    lines += [
        "",
        f"Worst ours p95: {worst['ours_p95']:.1f} ms ({worst['persona']}, {worst['scenario']}, "
        f"page {worst['page']}); goal p95 < {GOAL_P95_MS:.0f} ms at any depth: "
        + ("met" if worst["ours_p95"] < GOAL_P95_MS else "NOT met"),
    ]
    return "\n".join(lines)


def size(text: str) -> tuple[int, int]:
    """`CUSTOMERS:ORDERS`, e.g. 200000:2000000."""
    try:
        customers, orders = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CUSTOMERS:ORDERS, not {text!r}") from None
    if customers <= 0 or orders < 0:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return customers, orders


def run_scoring(db: str, customers: int, orders: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== scoring: {db}, {customers:,} customers, {orders:,} orders ==", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "bench.scoring",
        f"--customers={customers}",
        f"--orders={orders}",
        f"--repeat={args.scoring_repeat}",
        f"--incremental={args.scoring_incremental}",
        f"--rfm-pairs={args.scoring_rfm_pairs}",
    ]
    proc = subprocess.run(  # noqa: S603 (our own module)
        cmd,
        env=target_env(db, customers, args, orders),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(f"{db} scoring benchmark failed (exit {proc.returncode})")
    data = json.loads(proc.stdout)
    data.update(db=db, customers=customers, orders=orders, repeat=args.scoring_repeat)
    return data


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def rfm_pairs_line(data: dict[str, Any]) -> str:
    ratios = sorted(p["ours"] / p["ntile"] for p in data["pairs"])
    shown = ", ".join(f"{r:.2f}" for r in ratios)
    return (
        f"{data['db']}: ours RFM part / NTILE over {len(ratios)} alternated pairs: "
        f"median {statistics.median(ratios):.2f} (sorted: {shown})"
    )


def scoring_table(data: dict[str, Any]) -> str:
    t = data["timings"]
    full, rfm, ntile, rerun = t["ours_full"], t["ours_rfm"], t["ntile"], t["ours_rerun"]
    exact, pandas, inc = t["exact"], t["pandas"], data["incremental"]
    agree = data["agreement"]
    pop = agree["population"]

    def share(name: str) -> str:
        a = agree[name]
        return f"{a['all'] / pop:.1%}" if pop else "—"

    night = t["nightly"]
    r_ntile = rfm["total"] / ntile["total"]
    r_exact = rfm["total"] / exact["total"]
    r_pandas = pandas["total"] / full["total"]
    n_ntile = night["total"] / ntile["total"]
    n_pandas = pandas["total"] / night["total"]
    runs = data["repeat"]
    lines = [
        f"**{data['versions']['database']}**, {data['customers']:,} customers, "
        f"{data['orders']:,} orders, {pop:,} buyers in the RFM population — seconds, "
        f"median of {runs} run{'s' if runs > 1 else ''}",
        "",
        "| what | s | breakdown | ratio | same R/F/M as our rule |",
        "|---|---:|---|---:|---:|",
        f"| ours: nightly run (`recompute_all`) the day after, {night['written']:,.0f} rows "
        f"written that day; facts of {night['refreshed']:,.0f} customers refreshed, "
        f"{night['rescored']:,.0f} rescored, {night['changes']:,.0f} history rows "
        f"| {night['total']:.2f} | facts {night['facts']:.2f} · cut-offs + candidates + "
        f"scores {night['rules']:.2f} · history ∥ merge {night['history']:.2f} · "
        f"history rows {night['write']:.2f} · commit {night['commit']:.2f} | nightly / NTILE = "
        f"**{n_ntile:.2f}** · pandas / nightly = **{n_pandas:.2f}** | {share('stored')} |",
        f"| ours: full run from scratch (`recompute_all(full=True)`, reference date moved) "
        f"| {full['total']:.2f} | facts {full['facts']:.2f} · cut-offs + scores "
        f"{full['rules']:.2f} · history ∥ merge {full['history']:.2f} · history rows "
        f"{full['write']:.2f} · "
        f"commit {full['commit']:.2f} | pandas / full = {r_pandas:.2f} | |",
        f"| ours: `recompute_all` rerun on unchanged data (nothing to write) "
        f"| {rerun['total']:.2f} | | | |",
        f"| ours: RFM part (order facts + cut-offs + R/F/M by the run's SQL, written) "
        f"| {rfm['total']:.2f} | order facts {rfm['facts']:.2f} · cut-offs "
        f"{rfm['cutoffs']:.2f} · r/f/m + write {rfm['write']:.2f} | ours RFM / NTILE = "
        f"**{r_ntile:.2f}** | {share('ours')} |",
        f"| (a) one SQL statement, `NTILE(5)` + `INSERT … SELECT` | {ntile['total']:.2f} | | "
        f"1.00 | {share('ntile')} |",
        f"| (a') one SQL statement, our tie rule (nearest-rank cut-offs) | "
        f"{exact['total']:.2f} | | ours RFM / this = {r_exact:.2f} | 100% (the reference) |",
        f"| (b) pandas: `read_sql` → groupby → `qcut(rank)` → write back | "
        f"{pandas['total']:.2f} | read {pandas['read']:.2f} · compute {pandas['compute']:.2f}"
        f" · write {pandas['write']:.2f} | | {share('pandas')} |",
        f"| incremental `recompute_customer`, {inc['n']} random customers (ms) | "
        f"p50 {inc['p50']:.1f} · p95 {inc['p95']:.1f} | max {inc['max']:.1f} ms | | |",
        "",
        "Goals, for the nightly run (every customer's scores brought to the new day) and "
        f"from scratch: RFM part within {SCORING_GOAL_NTILE}× of NTILE — nightly, whole run: "
        f"{verdict(n_ntile <= SCORING_GOAL_NTILE)} ({n_ntile:.2f}×), from scratch, RFM part: "
        f"{verdict(r_ntile <= SCORING_GOAL_NTILE)} ({r_ntile:.2f}×); whole recompute ≥ "
        f"{SCORING_GOAL_PANDAS:.0f}× faster than pandas — nightly: "
        f"{verdict(n_pandas >= SCORING_GOAL_PANDAS)} ({n_pandas:.2f}×), from scratch: "
        f"{verdict(r_pandas >= SCORING_GOAL_PANDAS)} ({r_pandas:.2f}×); "
        f"incremental < {SCORING_GOAL_INCREMENTAL_MS:.0f} ms — "
        f"{verdict(inc['p95'] < SCORING_GOAL_INCREMENTAL_MS)} "
        f"(p95 {inc['p95']:.1f} ms).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--orders", type=int, help="orders in the dataset (default: 2 per customer)"
    )
    parser.add_argument(
        "--pg-1m",
        action="store_true",
        help="also PostgreSQL with 1,000,000 customers (first build takes several minutes)",
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the datasets")
    # A scratch location on purpose: datasets are disposable and rebuilt on demand.
    parser.add_argument("--sqlite-dir", default="/tmp/gx-bench")  # noqa: S108
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-db-prefix", default="gx_bench")
    parser.add_argument("--markdown", help="write the result tables to this file")
    scoring = parser.add_argument_group("scoring benchmark (bench/scoring.py)")
    scoring.add_argument("--scoring", action="store_true", help="run only the scoring benchmark")
    scoring.add_argument(
        "--skip-scoring", action="store_true", help="run only the customer-list benchmark"
    )
    scoring.add_argument(
        "--scoring-size",
        type=size,
        default=(50_000, 500_000),
        metavar="C:O",
        help="customers:orders for the scoring run on the --db databases (default 50000:500000)",
    )
    scoring.add_argument(
        "--scoring-pg-size",
        type=size,
        metavar="C:O",
        help="also (or instead) a PostgreSQL scoring run of this size, e.g. 1000000:10000000",
    )
    scoring.add_argument(
        "--scoring-repeat", type=int, default=3, help="timed runs of each way (default 3)"
    )
    scoring.add_argument(
        "--scoring-rfm-pairs",
        type=int,
        default=0,
        metavar="N",
        help="only time N alternated pairs of (a) NTILE and ours RFM part, then stop",
    )
    scoring.add_argument(
        "--scoring-incremental",
        type=int,
        default=200,
        help="customers timed one by one with recompute_customer (default 200)",
    )
    calllist_bench.add_arguments(parser)
    exports_bench.add_arguments(parser)
    imports_bench.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.imports:  # the import benchmark (bench/imports.py) runs on its own
        print(" · ".join(machine().values()))
        blocks = imports_bench.run_all(args)
        if args.markdown:
            Path(args.markdown).write_text("\n\n".join(blocks) + "\n")
        return
    if args.exports:  # the export benchmark (bench/exports.py) runs on its own
        print(" · ".join(machine().values()))
        blocks = exports_bench.run_all(args, target_env)
        if args.markdown:
            Path(args.markdown).write_text("\n\n".join(blocks) + "\n")
        return
    if args.calllist:  # the follow-up benchmark (bench/calllist.py) runs on its own
        print(" · ".join(machine().values()))
        blocks = calllist_bench.run(args)
        if args.markdown:
            Path(args.markdown).write_text("\n\n".join(blocks) + "\n")
        return
    if args.scoring and args.skip_scoring:
        parser.error("--scoring and --skip-scoring exclude each other")
    if args.scoring_repeat <= 0 or args.scoring_incremental <= 0:
        parser.error("--scoring-repeat and --scoring-incremental must be positive")
    if args.customers <= 0 or args.repeat <= 0:
        parser.error("--customers and --repeat must be positive")

    targets = []
    if args.db in ("sqlite", "both"):
        targets.append(("sqlite", args.customers))
    if args.db in ("postgres", "both"):
        targets.append(("postgresql", args.customers))
    if args.pg_1m:
        targets.append(("postgresql", 1_000_000))
    # The scoring run: --scoring-size on the --db databases; --scoring-pg-size sets
    # (or adds) the PostgreSQL one.
    dbs = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["sqlite", "postgresql"]}
    scoring_targets = [
        (db, *args.scoring_size)
        for db in dbs[args.db]
        if not (db == "postgresql" and args.scoring_pg_size)
    ]
    if args.scoring_pg_size:
        scoring_targets.append(("postgresql", *args.scoring_pg_size))
    if args.scoring:
        targets = []
    if args.skip_scoring:
        scoring_targets = []

    info = machine()
    print(
        f"{info['date']} · {info['cpus']} CPUs ({info['cpu']}) · {info['memory']} RAM · "
        f"Python {info['python']}"
    )
    blocks = []
    for db, customers in targets:
        orders = args.orders if args.orders is not None else 2 * customers
        data = run_target(db, customers, orders, args)
        blocks.append(table(data))
        print("\n" + blocks[-1], flush=True)
    for db, customers, orders in scoring_targets:
        data = run_scoring(db, customers, orders, args)
        if "pairs" in data:
            print(rfm_pairs_line(data), flush=True)
            continue
        blocks.append(scoring_table(data))
        print("\n" + blocks[-1], flush=True)
    if args.markdown:
        header = (
            f"Measured {info['date']} on {info['cpus']} CPUs ({info['cpu']}), "
            f"{info['memory']} RAM, Python {info['python']}.\n\n"
        )
        Path(args.markdown).write_text(header + "\n\n".join(blocks) + "\n")


if __name__ == "__main__":
    main()
