"""Export benchmark, run in a worker process bound to one bench database.

Exports the order list (one row per order, with its customer's number and name: the
widest join of the child exports) as the director (every row) and as a rep, and times:

* ours, streamed — the Export page's view (`dataio:export?kind=orders&format=csv`),
  its StreamingHttpResponse consumed to the end, bytes counted: what a browser gets;
* ours, job file — `export_to_file`, what the background job does (CSV and XLSX);
* raw — the same rows and columns straight from the database into CSV: PostgreSQL
  `COPY (SELECT …) TO STDOUT (FORMAT csv)`, SQLite the `sqlite3 -csv` shell — the
  physical limit, without formula neutralisation, labels or localised times.

The dataset is built beforehand in a child process (so this process's peak memory is
the export's), and the peak RSS (VmHWM) is reported at the end.

Usage (normally via `python -m bench --exports`): the parent sets DATABASE_URL /
GUANXI_VAR_DIR before this module imports Django, and reads JSON from stdout.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RAW_SELECT = (
    "SELECT c.number, c.name, o.number, o.ordered_on, o.amount, o.gross_margin, "
    "o.product_line, o.quantity FROM customers_order o "
    "JOIN customers_customer c ON c.id = o.customer_id "
    "WHERE c.deleted_at IS NULL ORDER BY o.id"
)


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(fn: Callable[[], int], repeat: int) -> dict[str, Any]:
    runs, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = fn()
        runs.append(time.perf_counter() - started)
    return {"s": statistics.median(runs), "runs": runs, "rows": rows}


def run(repeat: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    from django.conf import settings
    from django.db import connection
    from django.test import RequestFactory

    from guanxi.accounts.models import User
    from guanxi.dataio import views_export
    from guanxi.dataio.exports import CSV, XLSX, export_specs, export_to_file

    settings.EXPORT_SYNC_MAX_ROWS = 10**9  # time the direct stream, not the job hand-off
    spec = export_specs()["orders"]
    director = User.objects.get(username="director")
    rep = User.objects.get(username="rep_a1")
    factory = RequestFactory()
    scratch = Path(tempfile.mkdtemp(prefix="gx-bench-export-"))

    def stream(user) -> Callable[[], int]:
        def go() -> int:
            request = factory.get(
                "/data/export/", {"kind": "orders", "format": "csv", "language": "zh-hans"}
            )
            request.user = user
            response = views_export.export(request)
            size = lines = 0
            for piece in response.streaming_content:
                size += len(piece)
                lines += piece.count(b"\n")
            log(f"  streamed {size / 1e6:.0f} MB")
            return lines - 1  # minus the header (no field holds a newline here)

        return go

    def to_file(user, fmt: str) -> Callable[[], int]:
        def go() -> int:
            path = scratch / f"orders.{fmt}"
            rows = export_to_file(spec, spec.rows(user, {}), fmt, "zh-hans", path)
            log(f"  wrote {path.stat().st_size / 1e6:.0f} MB")
            path.unlink()
            return rows

        return go

    def raw() -> int:
        if connection.vendor == "postgresql":
            size = 0
            with connection.cursor() as cursor:
                raw_cursor = cursor.cursor  # psycopg 3
                with raw_cursor.copy(f"COPY ({RAW_SELECT}) TO STDOUT (FORMAT csv)") as copy:
                    for block in copy:
                        size += len(block)
            log(f"  COPY {size / 1e6:.0f} MB")
            return spec.rows(director, {}).count()
        # Read the shell's output through a pipe, as a client would: never all at once.
        with subprocess.Popen(  # noqa: S603 (the sqlite3 shell on our own bench file)
            ["sqlite3", "-csv", str(settings.DATABASES["default"]["NAME"]), RAW_SELECT],  # noqa: S607
            stdout=subprocess.PIPE,
        ) as shell:
            lines = 0
            while block := shell.stdout.read(1 << 20):
                lines += block.count(b"\n")
        if shell.returncode:
            raise SystemExit(f"sqlite3 shell failed (exit {shell.returncode})")
        return lines

    plan = [
        ("raw CSV (COPY / sqlite3 -csv)", "director", raw),
        ("ours: CSV streamed by the view", "director", stream(director)),
        ("ours: CSV file (background job)", "director", to_file(director, CSV)),
        ("ours: XLSX file (background job)", "director", to_file(director, XLSX)),
        ("ours: CSV streamed by the view", "rep", stream(rep)),
    ]
    results = []
    for name, persona, fn in plan:
        log(f"{name} as {persona} ...")
        fn_repeat = 1 if "XLSX" in name else repeat
        result = timed(fn, fn_repeat)
        result.update(what=name, persona=persona)
        log(f"  {result['rows']:,} rows in {result['s']:.1f} s")
        results.append(result)
    scratch.rmdir()
    return results


# --- parent side: `python -m bench --exports` ------------------------------------

GOAL_S = 60.0  # 1M rows streamed in under a minute


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("export benchmark (bench/exports.py)")
    group.add_argument(
        "--exports", action="store_true", help="run only the export benchmark (1M order rows)"
    )
    group.add_argument(
        "--exports-size",
        default="100000:1000000",
        metavar="C:O",
        help="customers:orders of its dataset; one exported row per order (default 1M)",
    )
    group.add_argument(
        "--exports-repeat", type=int, default=1, help="timed runs of each CSV way (default 1)"
    )


def run_all(args: argparse.Namespace, target_env: Callable[..., dict[str, str]]) -> list[str]:
    """Run the worker on each --db database; returns Markdown tables."""
    customers, orders = (int(v) for v in args.exports_size.split(":"))
    dbs = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["sqlite", "postgresql"]}
    blocks = []
    for db in dbs[args.db]:
        print(f"\n== exports: {db}, {customers:,} customers, {orders:,} orders ==", flush=True)
        proc = subprocess.run(  # noqa: S603 (our own module)
            [
                sys.executable,
                "-m",
                "bench.exports",
                f"--customers={customers}",
                f"--orders={orders}",
                f"--repeat={args.exports_repeat}",
            ],
            env=target_env(db, customers, args, orders),
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        if proc.returncode:
            raise SystemExit(f"{db} export benchmark failed (exit {proc.returncode})")
        data = json.loads(proc.stdout)
        blocks.append(table(data, customers, orders))
        print("\n" + blocks[-1], flush=True)
    return blocks


def table(data: dict[str, Any], customers: int, orders: int) -> str:
    results = data["results"]
    raw = next(r for r in results if r["what"].startswith("raw"))
    lines = [
        f"**{data['versions']['database']}**, {customers:,} customers, {orders:,} orders — "
        f"export of the order list; seconds (median of the runs); worker peak RSS "
        f"{data['peak_rss_mb']:.0f} MB",
        "",
        "| what | persona | rows | s | rows/s | ours / raw |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        same_rows = r["rows"] == raw["rows"] and raw["s"]
        ratio = f"{r['s'] / raw['s']:.1f}" if same_rows else "—"
        lines.append(
            f"| {r['what']} | {r['persona']} | {r['rows']:,} | {r['s']:.1f} | "
            f"{r['rows'] / r['s']:,.0f} | {ratio} |"
        )
    streamed = next(r for r in results if r["what"].startswith("ours: CSV streamed"))
    ok = streamed["s"] < GOAL_S
    lines += [
        "",
        f"Goal: {streamed['rows']:,} rows streamed in under {GOAL_S:.0f} s — "
        + ("met" if ok else "NOT met")
        + f" ({streamed['s']:.1f} s).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    from bench.customer_list import ensure_dataset, setup_django, versions

    setup_django()
    from django.core.management import call_command

    from guanxi.customers.models import Customer, Order

    call_command("migrate", verbosity=0)

    if args.build_only:
        ensure_dataset(args.customers, args.orders, False, log)
        return
    if Customer.objects.count() != args.customers or Order.objects.count() != args.orders:
        # Built in a child process so that this one's peak memory is the export's.
        subprocess.run(  # noqa: S603 (our own module)
            [sys.executable, "-m", "bench.exports", *(argv or sys.argv[1:]), "--build-only"],
            check=True,
            env=os.environ,
        )
    results = run(args.repeat, log)
    json.dump(
        {"versions": versions(), "results": results, "peak_rss_mb": peak_rss_mb()}, sys.stdout
    )


if __name__ == "__main__":
    main()
