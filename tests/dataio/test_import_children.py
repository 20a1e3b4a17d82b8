"""Contacts, orders and interactions: customer references, keys, idempotence, visibility."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.customers.models import Contact, Interaction, Order

from .importing_helpers import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_orders_by_number_are_idempotent_and_scoped(world, tmp_path):
    number = world.customer.number
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["客户编号", "订单号", "下单日期", "金额(万元)", "产品线", "数量"],
            [number, "SO-1", "2025/3/5", "1.5", "泵阀", "3"],
            [number, "SO-2", "2025年4月1日", "￥0.2", "", ""],
            [world.other_customer.number, "SO-3", "2025-04-02", "10", "", ""],
            [number, "SO-4", "昨天", "10", "", ""],
        ],
    )
    result = run(path, world.owner, kind="orders", key="number", dry_run=False, valid_only=True)
    assert result.counts == {"new": 2, "updated": 0, "unchanged": 0, "error": 2}
    assert (4, "客户编号", "None of the customers you can see matches.") in result.errors
    assert (5, "下单日期", "“昨天” is not a date (YYYY-MM-DD).") in result.errors
    o1 = Order.objects.get(number="SO-1")
    assert o1.customer == world.customer and o1.amount == Decimal("15000.00")
    assert o1.ordered_on == dt.date(2025, 3, 5) and o1.quantity == 3
    assert o1.history.first().history_type == "+"
    o2 = Order.objects.get(number="SO-2")
    assert o2.amount == Decimal("2000.00") and o2.quantity == 1

    again = run(path, world.owner, kind="orders", key="number", dry_run=False, valid_only=True)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 2, "error": 2}
    assert Order.objects.filter(number__startswith="SO-").count() == 2


def test_orders_without_number_use_the_natural_key(world, tmp_path):
    path = write_xlsx(
        tmp_path / "o.xlsx",
        [
            ["Customer name", "Order date", "Amount"],
            ["杭州青山机械制造", "2025-01-02", 100],
            ["杭州青山机械制造", "2025-01-02", 100],
        ],
    )
    result = run(path, world.owner, kind="orders", key="natural", dry_run=False, valid_only=True)
    assert result.counts["new"] == 1 and result.counts["error"] == 1
    assert result.errors[0][2] == "Same key as row 2 of this file."
    again = run(path, world.owner, kind="orders", key="natural", dry_run=False, valid_only=True)
    assert again.counts["unchanged"] == 1 and again.counts["new"] == 0


def test_contacts_upsert_by_customer_and_name(world, tmp_path):
    number = world.customer.number
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["客户编号", "联系人", "职位", "手机", "邮箱"],
            [number, "王建国", "总经理", "", ""],  # existing contact: updated
            [number, "李娜", "采购", "+86 139-0000-1111", "LiNa@Example.com"],
        ],
    )
    result = run(path, world.owner, kind="contacts", key="name", dry_run=False)
    assert result.counts == {"new": 1, "updated": 1, "unchanged": 0, "error": 0}
    assert Contact.objects.get(pk=world.contact.pk).title == "总经理"
    li = Contact.objects.get(name="李娜")
    assert li.phone_key == "13900001111" and li.email_key == "lina@example.com"
    again = run(path, world.owner, kind="contacts", key="name", dry_run=False)
    assert again.counts["unchanged"] == 2


def test_interactions_import_with_owner_rules(world, tmp_path):
    path = write_csv(
        tmp_path / "i.csv",
        [
            ["客户名称", "时间", "方式", "内容", "记录人"],
            ["杭州青山机械制造有限公司", "2025-05-06 10:30", "电话", "报价跟进", ""],
            ["杭州青山机械制造有限公司", "2025-05-07 10:30", "拜访", "现场演示", "rep_b1"],
        ],
    )
    result = run(
        path, world.owner, kind="interactions", key="natural", dry_run=False, valid_only=True
    )
    assert result.counts["new"] == 1 and result.counts["error"] == 1
    assert result.errors[0][1:] == ("记录人", "You cannot log interactions for this user.")
    i = Interaction.objects.get(summary="报价跟进")
    assert i.owner == world.owner and i.channel == "phone"
    assert i.occurred_at == dt.datetime(2025, 5, 6, 2, 30, tzinfo=dt.UTC)  # 10:30 Shanghai
    again = run(
        path, world.owner, kind="interactions", key="natural", dry_run=False, valid_only=True
    )
    assert again.counts["unchanged"] == 1 and again.counts["new"] == 0


@pytest.mark.parametrize("bound", [100_000, 0])
def test_customers_remembered_across_batches_keep_the_visibility_rule(
    world, tmp_path, monkeypatch, bound
):
    """Customer look-ups are memoised across batches (and the memo is dropped at its
    bound); a customer the importer cannot see is refused in every batch."""
    from guanxi.dataio import upsert_children

    monkeypatch.setattr(upsert_children, "KNOWN_CUSTOMERS", bound)
    mine, other = world.customer.number, world.other_customer.number
    rows = [[[mine, other][i % 3 == 2], f"SO-M{i}", "2025-03-05", f"{i}"] for i in range(9)]
    path = write_csv(tmp_path / "o.csv", [["客户编号", "订单号", "下单日期", "金额"], *rows])
    seen = []
    pairs = upsert_children.ChildHandler.pairs

    def counting(self, model, column, keys, where=""):
        seen.extend(keys)
        return pairs(self, model, column, keys, where)

    monkeypatch.setattr(upsert_children.ChildHandler, "pairs", counting)
    result = run(
        path, world.owner, kind="orders", key="number", dry_run=False, valid_only=True, batch=3
    )
    assert result.counts == {"new": 6, "updated": 0, "unchanged": 0, "error": 3}
    assert [row for row, _c, _m in result.errors] == [4, 7, 10]
    assert set(
        Order.objects.filter(number__startswith="SO-M").values_list("customer", flat=True)
    ) == {world.customer.pk}
    # remembered: the visible customer is looked up once; the other one every batch
    assert seen.count(other) == 3
    assert seen.count(mine) == (1 if bound else 3)
