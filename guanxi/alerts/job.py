# ruff: noqa: S608 - SQL is built from table names and validated integers; values are parameters
"""The alerts job: per rule, one SQL pass builds the set of causes that should be open,
then three set-based statements reconcile the alerts table with it:

1. INSERT … SELECT … ON CONFLICT DO NOTHING  (new causes; the unique key dedupes)
2. UPDATE … reopen closed alerts whose exact cause is back (e.g. a rule re-enabled)
3. UPDATE … close open alerts whose cause is gone

Idempotent: a second run over the same data inserts, reopens and closes nothing.
"""

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from .models import Alert, Rule
from .rules import rule_configs
from .sql import FACTS, NEEDS_FACTS, Ctx, _adapt, adapted_facts_sql, cause_sql, day_start

A = Alert._meta.db_table
TMP = "gx_alert_cause"
WORK_MEM = "256MB"  # per sort/hash node, for this transaction only (PostgreSQL)


@dataclass
class RuleResult:
    rule: str
    enabled: bool
    causes: int = 0
    opened: int = 0
    reopened: int = 0
    closed: int = 0
    seconds: float = 0.0


@dataclass
class JobResult:
    now: dt.datetime
    rules: list[RuleResult] = field(default_factory=list)
    facts_seconds: float = 0.0  # the shared last-activity table


def reference_instant(as_of: dt.date | None) -> dt.datetime:
    """`--as-of D` means the last instant of local day D; otherwise now."""
    if as_of is None:
        return timezone.now()
    return day_start(as_of + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def run_alerts(*, as_of: dt.date | None = None, now: dt.datetime | None = None) -> JobResult:
    now = now or reference_instant(as_of)
    ctx = Ctx(now=now, day=timezone.localdate(now))
    result = JobResult(now=now)
    configs = rule_configs()
    if any(cfg.enabled for key, cfg in configs.items() if key in NEEDS_FACTS):
        started = time.monotonic()
        _build_facts(ctx, configs[Rule.CHURN_FREQUENCY].params)
        result.facts_seconds = time.monotonic() - started
    try:
        for key, cfg in configs.items():
            started = time.monotonic()
            res = _run_rule(key, cfg.enabled, cfg.params, ctx)
            res.seconds = time.monotonic() - started
            result.rules.append(res)
    finally:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {FACTS}")
    return result


@transaction.atomic
def _build_facts(ctx: Ctx, freq: dict[str, int]) -> None:
    """Last interaction / order day per alive customer, shared by the rules in
    NEEDS_FACTS (one aggregate of each table per run instead of one per rule)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cur.execute(f"DROP TABLE IF EXISTS {FACTS}")
        sql, args = adapted_facts_sql(ctx, freq)
        cur.execute(f"CREATE TEMPORARY TABLE {FACTS} AS {sql}", args)
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {FACTS}")


@transaction.atomic
def _run_rule(rule: str, enabled: bool, params: dict[str, int], ctx: Ctx) -> RuleResult:
    res = RuleResult(rule=rule, enabled=enabled)
    now = _adapt(ctx.now)
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        if pg:  # the aggregates sort/hash millions of order rows: keep them in memory
            cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cur.execute(f"DROP TABLE IF EXISTS {TMP}")
        if enabled:
            sql, args = cause_sql(rule, ctx, params)
            cur.execute(f"CREATE TEMPORARY TABLE {TMP} AS {sql}", args)
        else:  # a disabled rule has no causes: every open alert of it closes
            cur.execute(
                f"CREATE TEMPORARY TABLE {TMP} AS SELECT customer_id, cause_key, ref_on"
                f" FROM {A} WHERE 1 = 0"
            )
        cur.execute(f"CREATE INDEX {TMP}_key ON {TMP} (customer_id, cause_key)")
        if pg:
            cur.execute(f"ANALYZE {TMP}")
        cur.execute(f"SELECT COUNT(*) FROM {TMP}")
        res.causes = cur.fetchone()[0]
        match = (
            f"EXISTS (SELECT 1 FROM {TMP} t WHERE t.customer_id = {A}.customer_id"
            f" AND t.cause_key = {A}.cause_key)"
        )
        cur.execute(
            f"INSERT INTO {A} (customer_id, rule, cause_key, ref_on, status, opened_at)"
            f" SELECT t.customer_id, %s, t.cause_key, t.ref_on, 'open', %s FROM {TMP} t"
            f" WHERE 1 = 1 ON CONFLICT (customer_id, rule, cause_key) DO NOTHING",
            [rule, now],
        )
        res.opened = cur.rowcount
        cur.execute(
            f"UPDATE {A} SET status = 'open', closed_at = NULL, opened_at = %s"
            f" WHERE rule = %s AND status = 'closed' AND {match}",
            [now, rule],
        )
        res.reopened = cur.rowcount
        cur.execute(
            f"UPDATE {A} SET status = 'closed', closed_at = %s"
            f" WHERE rule = %s AND status = 'open' AND NOT {match}",
            [now, rule],
        )
        res.closed = cur.rowcount
        cur.execute(f"DROP TABLE {TMP}")
    return res
