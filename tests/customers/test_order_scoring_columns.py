"""The integer columns the database keeps for each order (Order.ordered_day,
amount_cents, margin_bp), which the scoring run's pass over the orders reads."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.db import connection

from guanxi.customers.models import Order
from guanxi.scoring import nightly
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

EPOCH = dt.date(1970, 1, 1)  # day 0 of Order.ordered_day
# Decimals that binary floating point holds inexactly (SQLite stores them as REAL,
# exact to 15 significant digits: the largest amount here has 15).
AMOUNTS = ["0.00", "0.29", "1.15", "4.35", "0.07", "19.99", "1234567.89", "9999999999999.99"]
MARGINS = [None, "0.29", "-12.34", "12.50", "100.00", "-999.99"]
DAYS = [
    dt.date(1969, 12, 31),
    EPOCH,
    dt.date(2000, 2, 29),
    dt.date(2025, 6, 30),
    dt.date(2400, 3, 1),
]


def _columns(order_id: int) -> tuple[int, int, int | None]:
    return Order.objects.values_list("ordered_day", "amount_cents", "margin_bp").get(pk=order_id)


def _expected(day: dt.date, amount: str, margin: str | None) -> tuple[int, int, int | None]:
    bp = None if margin is None else int(Decimal(margin) * 100)
    return (day - EPOCH).days, int(Decimal(amount) * 100), bp


def test_each_write_path_keeps_the_integers_exact():
    customer = CustomerFactory()
    rows = list(zip(DAYS * 2, AMOUNTS, MARGINS + MARGINS[:2], strict=False))
    made = [
        OrderFactory(customer=customer, ordered_on=d, amount=Decimal(a), gross_margin=m)
        for d, a, m in rows
    ]
    for order, (d, a, m) in zip(made, rows, strict=True):
        assert _columns(order.pk) == _expected(d, a, m)

    bulk = Order.objects.bulk_create(
        Order(customer=customer, ordered_on=d, amount=Decimal(a), gross_margin=m)
        for d, a, m in rows
    )
    for order, (d, a, m) in zip(bulk, rows, strict=True):
        assert _columns(order.pk) == _expected(d, a, m)

    # an edit through save() and one through update() recompute them
    order = made[0]
    order.ordered_on, order.amount, order.gross_margin = DAYS[3], Decimal("4.35"), None
    order.save()
    assert _columns(order.pk) == _expected(DAYS[3], "4.35", None)
    Order.objects.filter(pk=order.pk).update(
        ordered_on=DAYS[1], amount=Decimal("0.29"), gross_margin=Decimal("-0.29")
    )
    assert _columns(order.pk) == _expected(DAYS[1], "0.29", "-0.29")


class _Editor:
    """What recreate_triggers asks of a schema editor, on the test's connection (SQLite's
    own schema editor refuses to open inside the test's transaction)."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_makes_the_order_triggers_again():
    """The table rebuild drops SQLite's triggers; the migration makes them again, also
    where an earlier rebuild (migration 0009) had dropped them already."""
    migration = importlib.import_module("guanxi.customers.migrations.0010_order_scoring_columns")
    assert nightly.triggers_missing() is False
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name in migration.SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
        assert nightly.triggers_missing() is True
    migration.recreate_triggers(None, _Editor())
    assert nightly.triggers_missing() is False
    # and they log an inserted order by its row, as scoring migration 0006 made them
    order = OrderFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, kind, row_id FROM scoring_factschange WHERE row_id = %s",
            [order.pk],
        )
        assert cursor.fetchall() == [(order.customer_id, 1, order.pk)]


def test_the_order_facts_read_back_dates_and_money_from_the_integers():
    """The scoring run's order pass turns the day numbers back into dates once per
    customer, also before 1970, and sums the cents (docs/scoring.md §3)."""
    from guanxi.scoring.facts import load_facts
    from guanxi.scoring.services import standard_ensure_active
    from guanxi.scoring.standards import parse_standard

    customer = CustomerFactory()
    as_of = dt.date(2025, 6, 30)
    for day, amount, margin in [
        (dt.date(1969, 7, 20), "0.29", None),
        (dt.date(2025, 6, 1), "1.15", "12.50"),
        (dt.date(2025, 6, 30), "4.35", "-0.29"),
        (dt.date(2025, 7, 1), "99.99", None),  # after as_of: not counted
    ]:
        OrderFactory(customer=customer, ordered_on=day, amount=Decimal(amount), gross_margin=margin)
    customer.created_at = customer.created_at.replace(year=1969)
    customer.save(update_fields=["created_at"])
    std = parse_standard(standard_ensure_active())  # the seed standard: 365-day window
    (facts,) = load_facts(as_of=as_of, standard=std, customer_id=customer.pk)
    assert (facts.first_order_on, facts.last_order_on) == (dt.date(1969, 7, 20), as_of)
    assert (facts.orders_total, facts.order_days) == (3, 2)
    assert facts.sales == 115 + 435
    assert facts.margin_base == 115 + 435
    assert facts.profit_x == 115 * 1250 + 435 * -29
