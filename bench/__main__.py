"""`make bench` / `python -m bench`: the customer-list benchmark on bench databases.

    python -m bench                      # SQLite, 100k customers (built once, reused)
    python -m bench --db both            # SQLite and PostgreSQL, 100k each
    python -m bench --pg-1m              # PostgreSQL with 1M customers (slow to build)
    python -m bench --markdown out.md    # also write the tables as Markdown

Datasets come from `guanxi demo --seed 1 --as-of 2025-06-30` and live in
/tmp/gx-bench/<N>/ (SQLite) or the PostgreSQL database gx_bench_<N>; the
development database is never touched. Each database runs in its own worker
process (Django reads the database settings once, at start-up).
"""

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
GOAL_P95_MS = 50.0
GOAL_RATIO = 1.3


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


def target_env(db: str, customers: int, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    var_dir = Path(args.sqlite_dir) / (str(customers) if db == "sqlite" else f"pg-{customers}")
    if db == "sqlite" and args.rebuild and var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    env["GUANXI_VAR_DIR"] = str(var_dir)
    if db == "postgresql":
        name = f"{args.pg_db_prefix}_{customers}"
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
    args = parser.parse_args(argv)
    if args.customers <= 0 or args.repeat <= 0:
        parser.error("--customers and --repeat must be positive")

    targets = []
    if args.db in ("sqlite", "both"):
        targets.append(("sqlite", args.customers))
    if args.db in ("postgres", "both"):
        targets.append(("postgresql", args.customers))
    if args.pg_1m:
        targets.append(("postgresql", 1_000_000))

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
    if args.markdown:
        header = (
            f"Measured {info['date']} on {info['cpus']} CPUs ({info['cpu']}), "
            f"{info['memory']} RAM, Python {info['python']}.\n\n"
        )
        Path(args.markdown).write_text(header + "\n\n".join(blocks) + "\n")


if __name__ == "__main__":
    main()
