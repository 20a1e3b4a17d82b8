"""The orders column path (`OrderHandler.process_columns`) against the row-by-row path.

Each file mixes batches the column path takes (new orders, blanks, in-file duplicates)
with batches it must hand to `process` (errors, existing orders, another rep's order,
a customer the importer cannot see, an ambiguous name). Imported once as is and once
with the column path switched off, everything must agree: counts, every error with
row, column and message, the preview, the stored orders and their history rows.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from guanxi.customers.models import Order
from guanxi.dataio import upsert_children
from tests.factories import CustomerFactory, OrderFactory

from .importing_helpers import run, write_csv

pytestmark = pytest.mark.django_db

FIELDS = ("number", "customer_id", "ordered_on", "amount", "gross_margin", "product_line")
FIELDS += ("quantity", "version")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def books(world):
    """Customers and orders the files refer to."""
    mine, other = world.customer, world.other_customer
    mine.external_id, other.external_id = "EXT-1", "EXT-2"
    mine.save()
    other.save()
    named = CustomerFactory(owner=world.owner, name="苏州精工有限公司", external_id="EXT-3")
    CustomerFactory(owner=world.owner, name="宁波模具有限公司")
    CustomerFactory(owner=world.owner, name="宁波模具有限公司")  # ambiguous by name
    OrderFactory(
        customer=mine, number="OLD-1", ordered_on=dt.date(2025, 1, 1), amount=10, product_line=""
    )
    OrderFactory(
        customer=mine, number="OLD-2", ordered_on=dt.date(2025, 1, 1), amount=10, product_line=""
    )
    OrderFactory(
        customer=other, number="OTHER-1", ordered_on=dt.date(2025, 1, 1), amount=10, product_line=""
    )
    return {"mine": mine, "other": other, "named": named}


def _state():
    orders = sorted(Order.objects.values_list(*FIELDS))
    history = sorted(
        Order.history.values_list(
            *FIELDS, "history_type", "history_user_id", "history_change_reason"
        )
    )
    return orders, history


def _both(path, user, **options):
    """(result, state) with the column path, then without it, each rolled back after."""
    taken = []
    original = upsert_children.OrderHandler.process_columns

    def counting(self, rows, cols):
        done = original(self, rows, cols)
        taken.append(done)
        return done

    out = []
    for column_path in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if column_path:
                mp.setattr(upsert_children.OrderHandler, "process_columns", counting)
            else:
                mp.setattr(
                    upsert_children.OrderHandler, "process_columns", lambda self, r, c: False
                )
            with transaction.atomic():
                result = run(path, user, kind="orders", key="number", batch=4, **options)
                out.append((result, _state()))
                transaction.set_rollback(True)
    (fast, fast_state), (slow, slow_state) = out
    for attr in ("counts", "rows", "errors", "warnings", "preview", "written", "rolled_back"):
        assert getattr(fast, attr) == getattr(slow, attr), attr
    assert fast_state == slow_state
    return fast, fast_state, taken


def _file(tmp_path, header, rows):
    return write_csv(tmp_path / "o.csv", [header, *rows])


HEADER = ["客户编号", "订单号", "下单日期", "金额", "毛利率", "产品线", "数量"]


def _by_number_rows(books):
    me, other = books["mine"].number, books["other"].number
    return [
        # batch 1: clean, blanks in optional columns
        [me, "N-1", "2025-03-05", "1.50", "", "泵阀", "3"],
        [me, "N-2", "2025-03-06", "12", "12.5", "", ""],
        [me.lower(), "N-3", "2025-03-07", "0.10", "", " 轴承 ", "1"],
        [me, "N-4", "2025-03-08", "99", "", "", "7"],
        # batch 2: a repeat of batch 1 and one within the batch
        [me, "N-5", "2025-03-05", "1", "", "", ""],
        [me, "N-1", "2025-03-05", "1.50", "", "泵阀", "3"],
        [me, "N-6", "2025-03-05", "2", "", "", ""],
        [me, "N-6", "2025-03-05", "3", "", "", ""],
        # batch 3: an existing order unchanged, one changed
        [me, "OLD-1", "2025-01-01", "10", "", "", ""],
        [me, "OLD-2", "2025-01-01", "11", "", "", ""],
        [me, "N-7", "2025-03-05", "1", "", "", ""],
        [me, "N-8", "2025-03-05", "1", "", "", ""],
        # batch 4: another rep's order; a customer the importer cannot see
        [me, "OTHER-1", "2025-01-01", "10", "", "", ""],
        [other, "N-9", "2025-03-05", "1", "", "", ""],
        [me, "N-10", "2025-03-05", "1", "", "", ""],
        [me, "N-11", "2025-03-05", "1", "", "", ""],
        # batch 5: no customer, no amount, no number
        ["", "N-12", "2025-03-05", "1", "", "", ""],
        [me, "N-13", "2025-03-05", "", "", "", ""],
        [me, "", "2025-03-05", "1", "", "", ""],
        [me, "N-14", "2025-03-05", "1", "", "", ""],
        # batch 6: a cell off the common path (converted row by row), then clean
        [me, "N-15", "2025/3/5", "1", "", "", ""],
        [me, "N-16", "2025-03-05", "-1", "", "", ""],
        [me, "N-17", "2025-03-05", "1", "", "", ""],
        [me, "N-18", "2025-03-05", "1", "", "", ""],
        # batch 7: clean again, repeating a key of a batch that went row by row
        [me, "N-19", "2025-03-05", "1", "", "", ""],
        [me, "N-14", "2025-03-05", "1", "", "", ""],
        [me, "N-20", "2025-03-05", "1", "", "", ""],
        [me, "N-21", "2025-03-05", "1", "", "", ""],
    ]


@pytest.mark.parametrize(
    "options",
    [{"dry_run": False, "valid_only": True}, {"dry_run": False}, {"dry_run": True}],
    ids=["valid-only", "all-or-nothing", "dry-run"],
)
def test_orders_by_customer_number_same_as_row_by_row(world, books, tmp_path, options):
    path = _file(tmp_path, HEADER, _by_number_rows(books))
    result, (orders, history), taken = _both(path, world.owner, **options)
    assert taken == [True, True, False, False, False, True]  # batch 6: row by row
    assert result.counts == {"new": 17, "updated": 1, "unchanged": 1, "error": 9}
    assert [(row, message) for row, _c, message in result.errors][:3] == [
        (7, "Same key as row 2 of this file."),
        (9, "Same key as row 8 of this file."),
        (15, "None of the customers you can see matches."),
    ]
    if options.get("valid_only"):
        stored = {o[0]: o for o in orders}
        assert stored["N-2"][2:] == (
            dt.date(2025, 3, 6),
            Decimal("12.00"),
            Decimal("12.50"),
            "",
            1,
            1,
        )
        assert stored["N-3"][5] == "轴承"
        assert stored["OLD-2"][3] == Decimal("11.00") and stored["OLD-2"][7] == 2
        assert sum(1 for h in history if h[8] == "+") == 4 + 17  # the fixtures' and ours
    else:
        assert [o[0] for o in orders] == ["", "OLD-1", "OLD-2", "OTHER-1"]  # as before


def test_orders_by_customer_name_and_external_id_same_as_row_by_row(world, books, tmp_path):
    for header, ref in (
        (["客户名称", "订单号", "下单日期", "金额"], ("苏州精工", "宁波模具", "深圳蓝海电子")),
        (["客户外部编号", "订单号", "下单日期", "金额"], ("EXT-3", "EXT-9", "EXT-2")),
    ):
        good, bad, hidden = ref
        rows = [[good, f"M-{i}", "2025-03-05", f"{i}"] for i in range(4)]
        rows += [[good, "M-4", "2025-03-05", "1"], [bad, "M-5", "2025-03-05", "1"]]
        rows += [[hidden, "M-6", "2025-03-05", "1"], [good, "M-7", "2025-03-05", "1"]]
        rows += [[good, f"M-{i}", "2025-03-05", "1"] for i in range(8, 12)]
        path = _file(tmp_path, header, rows)
        result, (orders, _history), taken = _both(path, world.owner, dry_run=False, valid_only=True)
        assert taken == [True, False, True]
        assert result.counts == {"new": 10, "updated": 0, "unchanged": 0, "error": 2}
        assert {o[1] for o in orders if o[0].startswith("M-")} == {books["named"].pk}
