"""History and maturity rows written in bulk (scoring.bulkwrite): prepared rows,
perhaps by the history worker thread, read back as they were."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from guanxi.scoring import bulkwrite
from guanxi.scoring.models import ScoreChange
from guanxi.scoring.recompute import CHANGE_COLUMNS, CHANGE_TABLE
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=False)


def _rows(customers, now, as_of):
    return [
        (c.pk, "health_grade", "good", "risk", now, as_of, "data", 1, None,
         json.dumps({"after": [["h", {"n": i}]]}))
        for i, c in enumerate(customers)
    ]  # fmt: skip


@pytest.mark.parametrize("prepared", [True, False])
def test_rows_are_read_back_with_their_instant_and_day(prepared):
    customers = CustomerFactory.create_batch(3)
    now = timezone.now().replace(microsecond=123456)
    as_of = dt.date(2025, 6, 30)
    rows = _rows(customers, now, as_of)
    if prepared:
        rows = bulkwrite.db_rows(rows)
    assert bulkwrite.insert_rows(CHANGE_TABLE, CHANGE_COLUMNS, rows, prepared=prepared) == 3
    stored = ScoreChange.objects.filter(customer__in=customers).order_by("customer_id")
    assert [(s.changed_at, s.as_of, s.to_value) for s in stored] == [(now, as_of, "risk")] * 3
    assert [s.reason["after"][0][1]["n"] for s in stored] == [0, 1, 2]
    # SQLite keeps instants as text: in Django's format (naive UTC), so that SQL
    # comparing them with Django's parameters orders them right
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT CAST(changed_at AS TEXT) FROM {CHANGE_TABLE} "  # noqa: S608
            "WHERE customer_id IN (%s, %s, %s)",
            [c.pk for c in customers],
        )
        raw = [row[0] for row in cursor.fetchall()]
    assert raw == [connection.ops.adapt_datetimefield_value(now)]


def test_prepared_rows_keep_every_other_value():
    now = timezone.now()
    rows = bulkwrite.db_rows([(1, "x", None, 2.5, now, dt.date(2025, 1, 2))])
    kept = rows[0][:4]
    assert list(kept) == [1, "x", None, 2.5]
