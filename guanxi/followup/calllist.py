"""Daily call lists of every rep, built in set-based SQL (docs/followup.md).

One transaction per day: the day's lists and lines are deleted and rebuilt. The due
customers are ranked once, by ROW_NUMBER() OVER (PARTITION BY owner …), into a TEMP
table of the kept ranks; lines and lists are two small INSERT … SELECTs from it.
A crash rolls back to the lists as they were; a second run over the same data
writes the same rows. Priority buckets come from `priority.BUCKET_SQL`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.customers.models import Customer, Interaction
from guanxi.scoring.models import CustomerMaturity

from .models import CallList, CallListLine, CallListRun, FollowUp, RepCapacity
from .priority import BUCKET_SQL, REASON_SQL

DEFAULT_CAPACITY = 60
DEFAULT_AM_GOLDEN = 15
DEFAULT_PM_GOLDEN = 25


@dataclass(frozen=True)
class BuildSummary:
    list_date: dt.date
    lists: int
    lines: int


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


RANKED = "gx_calllist_ranked"


def _candidates_sql() -> str:
    """Every due customer of an active owner, with its bucket: only what the ranking
    sorts on (capacity is joined after the sort, on the kept rows)."""
    # table names and constant SQL only; values are bound parameters
    return f"""
SELECT b.*, {BUCKET_SQL} AS bucket FROM (
  SELECT c.id AS customer_id, c.owner_id AS rep_id,
         COALESCE(mt.value, '0') AS m,
         COALESCE(f.next_due, %(day)s) AS nd,
         COALESCE(f.deadline, %(day)s) AS dl
  FROM {_t(Customer)} c
  JOIN {_t(User)} u ON u.id = c.owner_id AND u.is_active
  LEFT JOIN {_t(CustomerMaturity)} mt ON mt.customer_id = c.id
  LEFT JOIN {_t(FollowUp)} f ON f.customer_id = c.id
  WHERE c.deleted_at IS NULL AND COALESCE(f.next_due, %(day)s) <= %(day)s
) b"""  # noqa: S608


def _ranked_sql() -> str:
    """The lines to keep (ranks 1…capacity; every due customer of a rep on leave),
    ranked in one sort. The number of customers due is not counted here (it would
    need the whole partition buffered); pages ask `due_counts` for the reps they show."""
    return f"""
CREATE TEMPORARY TABLE {RANKED} AS
SELECT r.*, COALESCE(rc.capacity, %(cap)s) AS cap, COALESCE(rc.am_golden, %(am)s) AS am,
  COALESCE(rc.pm_golden, %(pm)s) AS pm
FROM (
  SELECT k.*, ROW_NUMBER() OVER (PARTITION BY rep_id ORDER BY bucket, dl, nd, customer_id) AS rn
  FROM ({_candidates_sql()}) k
) r
LEFT JOIN {_t(RepCapacity)} rc ON rc.user_id = r.rep_id
WHERE COALESCE(rc.capacity, %(cap)s) = 0 OR r.rn <= COALESCE(rc.capacity, %(cap)s)"""  # noqa: S608


def _lines_sql() -> str:
    """Lines from the kept ranks; rollover facts are looked up for those rows only."""
    return f"""
INSERT INTO {_t(CallListLine)} (list_date, rep_id, customer_id, rank, slot, bucket, reason,
  maturity, next_due, deadline, first_listed_on, for_manager)
SELECT %(day)s, rep_id, customer_id, rn,
  CASE WHEN rn <= am THEN 'am_golden' WHEN rn <= am + pm THEN 'pm_golden' ELSE 'off_peak' END,
  bucket, {REASON_SQL}, m, nd, dl,
  CASE WHEN prev_first IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM {_t(Interaction)} i
    WHERE i.customer_id = x.customer_id AND i.occurred_at >= %(prev_start)s
  ) THEN prev_first ELSE %(day)s END,
  CASE WHEN cap = 0 THEN %(true)s ELSE %(false)s END
FROM (
  SELECT r.*, p.first_listed_on AS prev_first FROM {RANKED} r
  LEFT JOIN {_t(CallListLine)} p ON p.customer_id = r.customer_id AND p.list_date = %(prev)s
) x
ORDER BY customer_id"""  # noqa: S608


def _lists_sql() -> str:
    """One list per active rep with alive customers; a rep with due customers has
    some, so only the others are probed (each probe may be a random heap read)."""
    return f"""
INSERT INTO {_t(CallList)} (list_date, rep_id, capacity, on_leave)
SELECT %(day)s, u.id, COALESCE(rc.capacity, %(cap)s),
  CASE WHEN COALESCE(rc.capacity, %(cap)s) = 0 THEN %(true)s ELSE %(false)s END
FROM {_t(User)} u
LEFT JOIN {_t(RepCapacity)} rc ON rc.user_id = u.id
LEFT JOIN (SELECT DISTINCT rep_id FROM {RANKED}) d ON d.rep_id = u.id
WHERE u.is_active AND (d.rep_id IS NOT NULL OR EXISTS (
  SELECT 1 FROM {_t(Customer)} c WHERE c.owner_id = u.id AND c.deleted_at IS NULL
))"""  # noqa: S608


def _params(day: dt.date, prev: dt.date | None) -> dict[str, object]:
    prev_start = (
        timezone.make_aware(dt.datetime.combine(prev, dt.time.min))
        if prev
        else timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    )
    return {
        "day": day,
        "prev": prev,
        "prev_start": prev_start,
        "cap": DEFAULT_CAPACITY,
        "am": DEFAULT_AM_GOLDEN,
        "pm": DEFAULT_PM_GOLDEN,
        "true": True,
        "false": False,
    }


def due_counts(day: dt.date, rep_ids: Iterable[int]) -> dict[int, int]:
    """Customers due on `day` per rep (the call-list candidates: alive, no follow-up
    yet or next_due ≤ day), from the current follow-ups; one grouped query."""
    rows = (
        Customer.objects.alive()
        .filter(owner_id__in=list(rep_ids))
        .filter(Q(followup__isnull=True) | Q(followup__next_due__lte=day))
        .values("owner_id")
        .annotate(n=Count("id"))
    )
    return {r["owner_id"]: r["n"] for r in rows}


@transaction.atomic
def calllists_build(day: dt.date, *, trigger: str = "") -> BuildSummary:
    """(Re)build every rep's list for `day`. Idempotent; all or nothing."""
    run, _created = CallListRun.objects.select_for_update().get_or_create(
        list_date=day, defaults={"started_at": timezone.now(), "trigger": trigger}
    )
    prev = (
        CallListRun.objects.filter(list_date__lt=day, status="done")
        .order_by("-list_date")
        .values_list("list_date", flat=True)
        .first()
    )
    CallListLine.objects.filter(list_date=day).delete()
    CallList.objects.filter(list_date=day).delete()
    params = _params(day, prev)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # JIT compiling these statements costs more than it saves (≈ 0.15 s each)
            cur.execute("SET LOCAL jit = off")
        cur.execute(f"DROP TABLE IF EXISTS {RANKED}")
        cur.execute(_ranked_sql(), params)
        cur.execute(_lines_sql(), params)
        lines = cur.rowcount
        cur.execute(_lists_sql(), params)
        lists = cur.rowcount
        cur.execute(f"DROP TABLE {RANKED}")
    run.status = "done"
    run.started_at = run.started_at or timezone.now()
    run.finished_at = timezone.now()
    run.lists, run.lines, run.trigger = lists, lines, trigger or run.trigger
    run.save()
    return BuildSummary(day, lists, lines)
