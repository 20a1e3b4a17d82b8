"""Customer list benchmark, run in a worker process bound to one bench database.

For each persona (rep, manager, director) and each scenario (plain list,
filters, 2- and 3-character name searches) at several page depths it times:

* ours   — Customer.objects.visible_to(user) + CustomerFilter + keyset_page, as
           the list page and the API run them (ORM compilation, model instances);
* raw    — the same query hand-written in SQL, fetched as tuples (the physical
           limit); for searches the best of "bigram candidates" and "plain scan";
* offset — Django's Paginator (COUNT + OFFSET), the usual default.

Usage (normally via `python -m bench`): the parent sets DATABASE_URL /
GUANXI_VAR_DIR before this module imports Django, and reads JSON from stdout.
"""

import argparse
import json
import math
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

PAGE = 50
DEPTHS = (1, 10, 100, 1000)
PERSONAS = {"rep": "rep_a1", "manager": "manager_a", "director": "director"}
FILTERS = {"stage": "repurchase", "industry": "manufacturing"}
# Name fragments: a rare 2-character brand, a common 2-character city, a 3-character one.
SEARCHES = {"search 2 华信": "华信", "search 2 杭州": "杭州", "search 3 华信精": "华信精"}
AS_OF = "2025-06-30"  # fixed reference date: the same dataset on every machine


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")
    import django

    django.setup()
    from django.conf import settings

    name = str(settings.DATABASES["default"]["NAME"])
    dev = str(settings.BASE_DIR / "var" / "guanxi.sqlite3")
    if name == dev or "bench" not in name:
        raise SystemExit(f"refusing to benchmark on {name!r}: not a bench database")


def ensure_dataset(customers: int, orders: int, rebuild: bool, log: Callable[[str], None]) -> None:
    from django.core.management import call_command

    from guanxi.customers.models import Customer

    call_command("migrate", verbosity=0)
    have = Customer.objects.count()
    if have == customers and not rebuild:
        log(f"dataset: reusing {have:,} customers")
        return
    if have:
        raise SystemExit(
            f"bench database holds {have:,} customers, not {customers:,}: "
            "run with --rebuild (the parent recreates it)"
        )
    started = time.monotonic()
    call_command(
        "demo",
        customers=customers,
        orders=orders,
        seed=1,
        password=secrets.token_urlsafe(12),  # nobody logs in to a bench database
        history_months=0,  # the datasets of the published runs have no replayed history
        as_of=_date(AS_OF),
        stdout=_Log(log),
    )
    log(f"dataset: {customers:,} customers, {orders:,} orders in {time.monotonic() - started:.0f}s")


class _Log:
    def __init__(self, log: Callable[[str], None]):
        self.log = log

    def write(self, text: str) -> None:
        if text.strip():
            self.log(text.rstrip())

    def flush(self) -> None:
        pass


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def timings(fn: Callable[[], Any], repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- the three ways -------------------------------------------------------------


def ours(user, params: dict[str, str], cursor: str | None):
    from guanxi.core.pagination import keyset_page
    from guanxi.customers.filters import CustomerFilter
    from guanxi.customers.models import Customer
    from guanxi.customers.views import list_rows

    def run():
        f = CustomerFilter(params, queryset=Customer.objects.visible_to(user), user=user)
        # The same columns and joins the list page loads (views.customer_list).
        return keyset_page(list_rows(f.qs), cursor, size=PAGE).rows

    return run


def offset(user, params: dict[str, str], page: int):
    from django.core.paginator import Paginator

    from guanxi.customers.filters import CustomerFilter
    from guanxi.customers.models import Customer

    def run():
        f = CustomerFilter(params, queryset=Customer.objects.visible_to(user), user=user)
        return list(Paginator(f.qs, PAGE).page(page).object_list)

    return run


def raw_sql(
    user, params: dict[str, str], after_id: int | None, candidates: bool
) -> tuple[str, list[Any]]:
    """The list query written by hand for this vendor, as a DBA would."""
    from django.db import connection

    from guanxi.accounts.models import Role
    from guanxi.customers import search

    pg = connection.vendor == "postgresql"
    where, args = ["c.deleted_at IS NULL"], []
    collab = (
        "EXISTS (SELECT 1 FROM customers_customercollaborator k "
        "WHERE k.customer_id = c.id AND k.user_id = %s)"
    )
    if user.role == Role.REP:
        where.append(f"(c.owner_id = %s OR {collab})")
        args += [user.pk, user.pk]
    elif user.role == Role.MANAGER:
        where.append(
            "(c.owner_id = %s OR c.owner_id IN (SELECT u.id FROM accounts_user u "
            f"JOIN accounts_team t ON t.id = u.team_id WHERE t.manager_id = %s) OR {collab})"
        )
        args += [user.pk, user.pk, user.pk]
    for field in ("stage", "industry"):
        if field in params:
            where.append(f"c.{field} = %s")
            args.append(params[field])
    value = params.get("q")
    if value:
        like = f"%{connection.ops.prep_for_like_query(value)}%"
        if pg:
            where.append("(UPPER(c.name) LIKE UPPER(%s) OR UPPER(c.number) = UPPER(%s))")
        else:
            where.append("(c.name LIKE %s ESCAPE '\\' OR c.number LIKE %s ESCAPE '\\')")
        args += [like, connection.ops.prep_for_like_query(value)]
        if candidates and pg:
            where.append(
                "c.id IN (SELECT id FROM customers_customer "
                "WHERE guanxi_bigrams(UPPER(name)) @> guanxi_bigrams(UPPER(%s)) "
                "UNION SELECT id FROM customers_customer WHERE UPPER(number) = UPPER(%s))"
            )
            args += [value, value]
        elif candidates:
            grams = search.bigrams(value)
            rarest = min(grams, key=lambda g: _postings(g))
            others = [g for g in grams if g != rarest]
            checks = "".join(
                f" AND EXISTS (SELECT 1 FROM customers_search_gram o{i} "
                f"WHERE o{i}.gram = upper(%s) AND o{i}.customer_id = r.customer_id)"
                for i in range(len(others))
            )
            where.append(
                "c.id IN (SELECT r.customer_id FROM customers_search_gram r "
                f"WHERE r.gram = upper(%s){checks} UNION SELECT id FROM customers_customer "
                "WHERE number = %s COLLATE NOCASE)"
            )
            args += [rarest, *others, value]
    if after_id is not None:
        where.append("c.id < %s")
        args.append(after_id)
    sql = (
        f"SELECT c.* FROM customers_customer c WHERE {' AND '.join(where)} "
        f"ORDER BY c.id DESC LIMIT {PAGE + 1}"
    )
    return sql, args


def _postings(gram: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_search_gram WHERE gram = %s", [gram])
        return cursor.fetchone()[0]


def raw(sql: str, args: list[Any]):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()

    return run


def uses_index(user, params: dict[str, str]) -> str:
    """Which index the search's first page uses, from the plan (for the report)."""
    from django.db import connection

    from guanxi.customers.filters import CustomerFilter
    from guanxi.customers.models import Customer

    qs = CustomerFilter(params, queryset=Customer.objects.visible_to(user), user=user).qs[:PAGE]
    sql, args = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql, args)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    for index in ("cust_name_bigram", "customers_search_gram", "USING PRIMARY KEY (gram=?)"):
        if index in plan:
            return "bigram index"
    return "ordered scan"


# --- scenarios ------------------------------------------------------------------


def run(repeat: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    from django.core.paginator import Paginator

    from guanxi.accounts.models import User
    from guanxi.core.pagination import encode_cursor
    from guanxi.customers.filters import CustomerFilter
    from guanxi.customers.models import Customer

    scenarios: list[tuple[str, dict[str, str]]] = [
        ("list", {"ordering": "-id"}),
        ("filters", {"ordering": "-id", **FILTERS}),
    ]
    scenarios += [(name, {"ordering": "-id", "q": q}) for name, q in SEARCHES.items()]
    results = []
    for persona, username in PERSONAS.items():
        user = User.objects.get(username=username)
        for name, params in scenarios:
            qs = CustomerFilter(params, queryset=Customer.objects.visible_to(user), user=user).qs
            total = Paginator(qs, PAGE).count
            plan = uses_index(user, params) if "q" in params else ""
            for depth in DEPTHS:
                if (depth - 1) * PAGE >= total:
                    continue
                after = (
                    qs.values_list("id", flat=True)[(depth - 1) * PAGE - 1] if depth > 1 else None
                )
                cursor = encode_cursor([after]) if after is not None else None
                t_ours = timings(ours(user, params, cursor), repeat)
                t_offset = timings(offset(user, params, depth), max(5, repeat // 3))
                variants = [True, False] if "q" in params else [False]
                t_raw = min(
                    (timings(raw(*raw_sql(user, params, after, v)), repeat) for v in variants),
                    key=statistics.median,
                )
                row = {
                    "persona": persona,
                    "scenario": name,
                    "rows": total,
                    "page": depth,
                    "plan": plan,
                    "ours_p50": statistics.median(t_ours),
                    "ours_p95": p95(t_ours),
                    "raw_p50": statistics.median(t_raw),
                    "raw_p95": p95(t_raw),
                    "offset_p50": statistics.median(t_offset),
                    "offset_p95": p95(t_offset),
                }
                results.append(row)
                log(
                    f"{persona:8} {name:15} page {depth:4}: ours p50 {row['ours_p50']:6.2f} "
                    f"p95 {row['ours_p95']:6.2f} · raw p50 {row['raw_p50']:6.2f} · "
                    f"offset p50 {row['offset_p50']:7.2f} ms"
                )
    return results


def versions() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return {"database": f"PostgreSQL {cursor.fetchone()[0]}"}
        cursor.execute("SELECT sqlite_version()")
        return {"database": f"SQLite {cursor.fetchone()[0]}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    setup_django()
    ensure_dataset(args.customers, args.orders, args.rebuild, log)
    results = run(args.repeat, log)
    json.dump({"versions": versions(), "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
