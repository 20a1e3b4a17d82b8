"""Next follow-up dates in bulk: one facts query, the pure `cadence.next_follow_up`
per row in memory, upserts in batches. No per-customer query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from guanxi.customers.models import Customer

from . import selectors
from .cadence import CustomerFacts, next_follow_up
from .models import FollowUp

BATCH = 5000
UPDATE_FIELDS = ["last_contact_on", "next_due", "deadline", "touch", "rule", "computed_at"]


def _local(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def _facts(customer_id: int | None = None) -> Iterator[CustomerFacts]:
    qs = Customer.objects.alive()
    if customer_id is not None:
        qs = qs.filter(pk=customer_id)
    rows = (
        qs.annotate(last=Max("interactions__occurred_at"))
        .values_list(
            "pk",
            "created_at",
            "maturity__value",
            "score__value_tier",
            "score__four_class",
            "score__abc",
            "last",
        )
        .order_by("pk")
    )
    for pk, created, maturity, tier, four, abc, last in rows.iterator(chunk_size=BATCH):
        segments = frozenset(
            s
            for s in (
                f"value:{tier}" if tier else "",
                f"four:{four}" if four else "",
                f"abc:{abc}" if abc else "",
            )
            if s
        )
        yield CustomerFacts(pk, _local(created), maturity or "", segments, _local(last))


def _write(batch: list[FollowUp]) -> None:
    FollowUp.objects.bulk_create(
        batch, update_conflicts=True, unique_fields=["customer"], update_fields=UPDATE_FIELDS
    )


@transaction.atomic
def followups_recompute(*, customer_id: int | None = None, today: dt.date | None = None) -> int:
    """Recompute next follow-ups of all alive customers (or one). Idempotent."""
    today = today or timezone.localdate()
    now = timezone.now()
    cal = selectors.work_calendar()
    rules = selectors.active_rules()
    batch: list[FollowUp] = []
    count = 0
    for facts in _facts(customer_id):
        nf = next_follow_up(facts, rules, cal, today)
        batch.append(
            FollowUp(
                customer_id=nf.customer_id,
                last_contact_on=nf.last_contact_on,
                next_due=nf.next_due,
                deadline=nf.deadline,
                touch=nf.touch,
                rule_id=nf.rule_id,
                computed_at=now,
            )
        )
        if len(batch) >= BATCH:
            _write(batch)
            count += len(batch)
            batch = []
    if batch:
        _write(batch)
        count += len(batch)
    return count


def followup_refresh(customer_id: int) -> None:
    """Recompute one customer's next follow-up now."""
    followups_recompute(customer_id=customer_id)


def followup_refresh_on_commit(customer_id: int) -> None:
    """THE HOOK: call after an interaction is written or a class/tier changes.
    Runs once the write commits; `robust` keeps a failure from breaking the write
    (the daily job repairs whatever was missed)."""
    transaction.on_commit(partial(followup_refresh, customer_id), robust=True)
