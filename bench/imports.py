"""Import benchmark: 100k customers and 1M orders (CSV and XLSX) against the limits.

    python -m bench --imports                         # SQLite and PostgreSQL, full size
    python -m bench --imports --db sqlite --import-orders 200000 --import-customers 20000

Per database, in a fresh database (SQLite file / PostgreSQL `gx_importer_bench`):

* ours — `guanxi.dataio.importing.import_file`, what `guanxi import` and the import
  job run: 100k customers (key: external ID, owners by username, revenue in 万元),
  the same file again (all unchanged), 100k and 1M orders from CSV and 1M from XLSX
  (customers referenced by external ID, key: order number). Every row is converted
  and validated, duplicates checked, simple-history rows written; the score/follow-up
  recompute is timed separately (it runs once after any import).
* raw — the physical limit: the 1M order rows, parsed with the csv module, customer
  ids from a dict, written with COPY (PostgreSQL) or executemany in one transaction
  (SQLite), nothing else.
* django-import-export — its documented fast path (`use_bulk`, `skip_diff`,
  `force_init_instance`, `batch_size=1000`) on a 100k-order slice.

Each step runs in its own worker process, so its peak RSS (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
GOAL_VS_DIE = 25.0
GOAL_VS_COPY = 4.0
GOAL_VS_EXECUTEMANY = 2.0
CITIES = ["上海", "北京", "深圳", "杭州", "苏州", "宁波", "成都", "武汉", "南京", "广州"]
WORDS = ["精工", "机械", "电子", "科技", "贸易", "物流", "模具", "化工", "食品", "建材"]
INDUSTRIES = ["制造业", "软件", "零售", "批发与分销", "物流", "Other"]
PRODUCTS = ["泵阀", "轴承", "电机", "传感器", "标准件", ""]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("import benchmark (bench/imports.py)")
    g.add_argument("--imports", action="store_true", help="run only the import benchmark")
    g.add_argument("--import-customers", type=int, default=100_000)
    g.add_argument("--import-orders", type=int, default=1_000_000)
    g.add_argument("--import-slice", type=int, default=100_000, help="rows of the DIE run")
    g.add_argument("--import-skip-xlsx", action="store_true")
    g.add_argument("--import-dir", default="/tmp/gx-bench-import")  # noqa: S108 (scratch)
    g.add_argument("--import-pg-db", default="gx_importer_bench", help="dropped and recreated")


# --- data files (parent) ---------------------------------------------------------


def make_files(folder: Path, customers: int, orders: int, slice_rows: int, xlsx: bool) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "customers": folder / f"customers-{customers}.csv",
        "orders": folder / f"orders-{customers}-{orders}.csv",
        "slice": folder / f"orders-{customers}-{slice_rows}.csv",
        "die": folder / f"orders-die-{customers}-{slice_rows}.csv",
        "xlsx": folder / f"orders-{customers}-{orders}.xlsx",
    }
    rng = random.Random(1)
    if not files["customers"].exists():
        with files["customers"].open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(["外部编号", "客户名称", "行业", "城市", "年销售额(万元)", "电话", "负责人"])
            for i in range(customers):
                city = CITIES[i % 10]
                w.writerow(
                    [
                        f"X{i:07d}",
                        f"{city}{rng.choice(WORDS)}{i}有限公司",
                        rng.choice(INDUSTRIES),
                        city,
                        f"{rng.randint(10, 90000) / 10:.1f}",
                        f"0{rng.randint(10, 999)}-{rng.randint(1000000, 99999999)}",
                        f"rep_{'ab'[i % 2]}{1 + i % 3}",
                    ]
                )
    if not files["orders"].exists():
        start = dt.date(2023, 1, 1).toordinal()
        rows = []
        with files["orders"].open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["客户外部编号", "订单号", "下单日期", "金额", "产品线", "数量"])
            for i in range(orders):
                row = [
                    f"X{rng.randrange(customers):07d}",
                    f"SO{i:09d}",
                    dt.date.fromordinal(start + rng.randrange(900)).isoformat(),
                    f"{rng.randint(100, 5_000_000) / 100:.2f}",
                    rng.choice(PRODUCTS),
                    str(rng.randint(1, 50)),
                ]
                w.writerow(row)
                if i < slice_rows:
                    rows.append(row)
        for name, header in (
            ("slice", ["客户外部编号", "订单号", "下单日期", "金额", "产品线", "数量"]),
            ("die", ["customer", "number", "ordered_on", "amount", "product_line", "quantity"]),
        ):
            with files[name].open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows([header, *rows])
    if xlsx and not files["xlsx"].exists():
        import xlsxwriter

        book = xlsxwriter.Workbook(str(files["xlsx"]), {"constant_memory": True})
        sheet = book.add_worksheet()
        with files["orders"].open(encoding="utf-8") as fh:
            for r, row in enumerate(csv.reader(fh)):
                for c, value in enumerate(row):
                    if r and c == 3:
                        sheet.write_number(r, c, float(value))
                    elif r and c == 5:
                        sheet.write_number(r, c, int(value))
                    else:
                        sheet.write_string(r, c, value)
        book.close()
    return {k: str(v) for k, v in files.items()}


# --- parent: databases and worker processes ------------------------------------


def _env(db: str, args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    var = Path(args.import_dir) / f"var-{db}"
    if var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True)
    env["GUANXI_VAR_DIR"] = str(var)
    if db == "postgresql":
        from bench.__main__ import pg_admin

        name = args.import_pg_db
        pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}"')
        pg_admin(args.pg_url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlparse(args.pg_url)._replace(path=f"/{name}").geturl()
    return env


def _worker(env: dict[str, str], step: str, files: dict) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.imports", "--step", step, "--files", json.dumps(files)]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: S603
    if proc.returncode:
        raise SystemExit(f"import benchmark step {step} failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_db(db: str, args: argparse.Namespace, files: dict) -> dict[str, Any]:
    print(f"\n== imports: {db} ==", flush=True)
    env = _env(db, args)
    out: dict[str, Any] = {"db": db}
    steps = [
        "setup",
        "raw_customers",
        "customers",
        "customers_again",
        "orders_slice",
        "orders",
        "recompute",
    ]
    steps += [] if args.import_skip_xlsx else ["orders_xlsx"]
    steps += ["raw", "die"]
    for step in steps:
        out[step] = _worker(env, step, files)
        print(f"  {step}: {out[step]}", flush=True)
    return out


def table(data: dict[str, Any], files: dict) -> str:
    def rate(step: str) -> float:
        s = data[step]
        return s["rows"] / s["seconds"] if s.get("seconds") else 0.0

    raw_name = "COPY" if data["db"] == "postgresql" else "executemany, one transaction"
    goal_raw = GOAL_VS_COPY if data["db"] == "postgresql" else GOAL_VS_EXECUTEMANY
    lines = [
        f"**{data['setup']['database']}** — rows/s, seconds, peak RSS of the worker process",
        "",
        "| what | rows | s | rows/s | CPU s | peak MB | new / updated / unchanged / errors |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    labels = [
        ("raw_customers", f"raw: customers, {raw_name}"),
        ("customers", "ours: customers CSV (UTF-8 BOM, 万元, owners)"),
        ("customers_again", "ours: the same customers file again"),
        ("orders_slice", "ours: orders CSV, slice"),
        ("orders", "ours: orders CSV"),
        ("orders_xlsx", "ours: orders XLSX (streamed)"),
        ("raw", f"raw: orders, {raw_name}"),
        ("die", "django-import-export fast path, slice"),
    ]
    for step, label in labels:
        if step not in data:
            continue
        s = data[step]
        counts = s.get("counts")
        shown = (
            " / ".join(str(counts[k]) for k in ("new", "updated", "unchanged", "error"))
            if counts
            else ""
        )
        lines.append(
            f"| {label} | {s['rows']:,} | {s['seconds']:.1f} | {rate(step):,.0f} "
            f"| {s.get('cpu', 0):.1f} | {s['peak_mb']:.0f} | {shown} |"
        )
    r = data["recompute"]
    lines.append(
        f"| then: scores + follow-ups, once, all customers | | {r['seconds']:.1f} | | "
        f"| {r['peak_mb']:.0f} | |"
    )
    vs_die = rate("orders_slice") / rate("die") if rate("die") else 0
    vs_raw_customers = rate("raw_customers") / rate("customers") if rate("customers") else 0
    vs_raw = rate("raw") / rate("orders") if rate("orders") else 0
    slice_mb, full_mb = data["orders_slice"]["peak_mb"], data["orders"]["peak_mb"]

    def cpu_ratio(a: str, b: str) -> float:  # this process's CPU only: the load of others
        return data[a]["cpu"] / data[b]["cpu"] if data[b].get("cpu") else 0.0

    lines += [
        "",
        f"Ours vs django-import-export (same {data['die']['rows']:,}-row slice): "
        f"**{vs_die:.1f}×** its rows/s (goal ≥ {GOAL_VS_DIE:.0f}×: "
        f"{'met' if vs_die >= GOAL_VS_DIE else 'NOT met'}). Raw {raw_name} / ours on "
        f"{data['orders']['rows']:,} orders: **{vs_raw:.1f}×** (goal ≤ {goal_raw:.0f}×: "
        f"{'met' if vs_raw <= goal_raw else 'NOT met'}); on {data['customers']['rows']:,} "
        f"customers: **{vs_raw_customers:.1f}×**. Peak memory, orders CSV "
        f"{data['orders_slice']['rows']:,} → {data['orders']['rows']:,} rows: "
        f"{slice_mb:.0f} → {full_mb:.0f} MB. CPU time of the worker process (steady under "
        f"others' load; without the database server's): django-import-export used "
        f"{cpu_ratio('die', 'orders_slice'):.1f}× ours on the slice, ours "
        f"{cpu_ratio('orders', 'raw'):.2f}× raw's on {data['orders']['rows']:,} orders.",
    ]
    return "\n".join(lines)


def run_all(args: argparse.Namespace) -> list[str]:
    files = make_files(
        Path(args.import_dir) / "files",
        args.import_customers,
        args.import_orders,
        min(args.import_slice, args.import_orders),
        not args.import_skip_xlsx,
    )
    dbs = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "both": ["sqlite", "postgresql"]}
    blocks = []
    for db in dbs[args.db]:
        blocks.append(table(run_db(db, args, files), files))
        print("\n" + blocks[-1], flush=True)
    return blocks


# --- worker ------------------------------------------------------------------


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _ours(path: str, kind: str, key: str) -> dict[str, Any]:
    from guanxi.accounts.models import User
    from guanxi.dataio.importing import ImportOptions, import_file
    from guanxi.dataio.mapping import auto_map
    from guanxi.dataio.readers import open_table

    user = User.objects.get(username="bench_admin")
    with open_table(path) as table:
        columns = auto_map(table.header, kind)
    options = ImportOptions(kind=kind, columns=columns, key=key, dry_run=False, refresh=False)
    started, cpu = time.perf_counter(), time.process_time()
    result = import_file(path, user=user, options=options)
    seconds = time.perf_counter() - started
    assert result.written, result.errors[:5]
    cpu = time.process_time() - cpu
    return {"rows": result.rows, "seconds": seconds, "cpu": cpu, "counts": result.counts}


def _clear_orders() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("customers_historicalorder", "customers_order"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (constant names)


def _raw(path: str) -> dict[str, Any]:
    from django.db import connection, transaction

    from guanxi.customers.bulk import BulkWriter
    from guanxi.customers.models import Customer, Order

    ids = dict(Customer.objects.values_list("external_id", "pk"))
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    writer = BulkWriter(connection)
    fields = ("created_at", "updated_at", "version", "customer", "number", "ordered_on")
    fields += ("amount", "product_line", "quantity")
    now = dt.datetime.now(dt.UTC)
    now = now if connection.vendor == "postgresql" else now.replace(tzinfo=None).isoformat(" ")
    from guanxi.dataio.importing import _sqlite_cache

    # the same page cache as ours, so the comparison is of the work, not the settings
    with _sqlite_cache(), transaction.atomic(), open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for ext, number, day, amount, product, qty in reader:
            batch.append((now, now, 1, ids[ext], number, day, amount, product, int(qty)))
            if len(batch) == 50_000:
                writer.write(Order, fields, batch)
                rows += len(batch)
                batch = []
        writer.write(Order, fields, batch)
        rows += len(batch)
    cpu = time.process_time() - cpu
    return {"rows": rows, "seconds": time.perf_counter() - started, "cpu": cpu}


def _raw_customers(path: str) -> dict[str, Any]:
    """The customer rows as plain tuples, written and then removed (untimed)."""
    from django.db import connection, transaction

    from guanxi.accounts.models import User
    from guanxi.customers.bulk import BulkWriter
    from guanxi.customers.models import Customer

    owners = dict(User.objects.values_list("username", "pk"))
    fields = ("created_at", "updated_at", "version", "number", "external_id", "name", "city")
    fields += ("annual_revenue", "phone", "owner")
    now = dt.datetime.now(dt.UTC)
    now = now if connection.vendor == "postgresql" else now.replace(tzinfo=None).isoformat(" ")
    writer = BulkWriter(connection)
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    from guanxi.dataio.importing import _sqlite_cache

    with _sqlite_cache(), transaction.atomic(), open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for ext, name, _industry, city, revenue, phone, owner in reader:
            batch.append((now, now, 1, f"R{ext}", ext, name, city, revenue, phone, owners[owner]))
            if len(batch) == 50_000:
                writer.write(Customer, fields, batch)
                rows += len(batch)
                batch = []
        writer.write(Customer, fields, batch)
        rows += len(batch)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_rss_mb()
    with connection.cursor() as cursor:  # nothing hangs off these rows yet
        cursor.execute("DELETE FROM customers_customer")
    return {"rows": rows, "seconds": seconds, "cpu": cpu, "peak": peak}


def _die(path: str) -> dict[str, Any]:
    import tablib
    from import_export import fields, resources, widgets

    from guanxi.customers.models import Customer, Order

    class OrderResource(resources.ModelResource):
        customer = fields.Field(
            attribute="customer",
            column_name="customer",
            widget=widgets.ForeignKeyWidget(Customer, field="external_id"),
        )

        class Meta:
            model = Order
            fields = ("customer", "number", "ordered_on", "amount", "product_line", "quantity")
            import_id_fields = ("number",)
            use_bulk = True
            skip_diff = True
            force_init_instance = True
            batch_size = 1000

    dataset = tablib.Dataset().load(Path(path).read_text(encoding="utf-8"), format="csv")
    started, cpu = time.perf_counter(), time.process_time()
    result = OrderResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rows": len(dataset), "seconds": seconds, "cpu": cpu, "errors": result.has_errors()}


def worker(step: str, files: dict) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if step == "setup":
        call_command("migrate", verbosity=0)
        from guanxi.accounts.models import Role, User

        User.objects.create(username="bench_admin", role=Role.ADMIN, is_superuser=True)
        for name in ("rep_a1", "rep_a2", "rep_a3", "rep_b1", "rep_b2", "rep_b3"):
            User.objects.create(username=name, role=Role.REP)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version()"
                if connection.vendor == "postgresql"
                else "SELECT 'SQLite ' || sqlite_version()"
            )
            version = cursor.fetchone()[0].split(" on ")[0]
        return {"database": version, "peak_mb": peak_rss_mb(), "rows": 0, "seconds": 0}
    if step == "raw_customers":
        out = _raw_customers(files["customers"])
    elif step in ("customers", "customers_again"):
        out = _ours(files["customers"], "customers", "external_id")
    elif step == "orders_slice":
        out = _ours(files["slice"], "orders", "number")
        _clear_orders()
    elif step == "orders":
        out = _ours(files["orders"], "orders", "number")
    elif step == "orders_xlsx":
        _clear_orders()
        out = _ours(files["xlsx"], "orders", "number")
    elif step == "raw":
        _clear_orders()
        out = _raw(files["orders"])
    elif step == "die":
        _clear_orders()
        out = _die(files["die"])
    elif step == "recompute":  # on the customers and orders just imported
        from guanxi.followup.recompute import followups_recompute
        from guanxi.scoring.recompute import recompute_all

        started = time.perf_counter()
        recompute_all(trigger="import")
        followups_recompute()
        out = {"rows": 0, "seconds": time.perf_counter() - started}
    else:
        raise SystemExit(f"unknown step {step}")
    out["peak_mb"] = out.pop("peak", None) or peak_rss_mb()
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", required=True)
    parser.add_argument("--files", required=True)
    ns = parser.parse_args()
    print(json.dumps(worker(ns.step, json.loads(ns.files))))
