"""Customer import end to end (no HTTP): encodings, mapping, dry run, upsert, rules."""

from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.customers.models import Customer, OwnershipChange
from guanxi.customers.search import search
from guanxi.dataio.progress import Cancelled, Reporter, cancel_request

from .importing_helpers import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


HEADER = ["客户名称", "行业", "年销售额(万元)", "电话", "城市", "负责人", "备注", "微信群"]


def rows():
    return [
        HEADER,
        [
            "宁波海曙精工有限公司",
            "制造业",
            "1,200",
            "0574-8765 4321",
            "宁波",
            "rep_a1",
            "老客户",
            "群A",
        ],
        ["Acme Trading Co., Ltd.", "Retail", "35.5", "+86 138 0013 8000", "上海", "", "", ""],
        ["广州白云物流有限责任公司", "物流", "", "", "广州", "", "", ""],
    ]


def test_gbk_csv_with_chinese_headers_imports_customers(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", rows(), encoding="gbk")
    preview = run(path, world.owner, dry_run=True, override={"微信群": "__notes__"})
    assert preview.encoding == "gb18030"
    assert preview.counts == {"new": 3, "updated": 0, "unchanged": 0, "error": 0}
    assert not Customer.objects.filter(name="宁波海曙精工有限公司").exists()  # dry run
    assert preview.preview[0]["values"]["Annual revenue"] == "12000000.00"

    result = run(path, world.owner, dry_run=False, override={"微信群": "__notes__"})
    assert result.written and result.counts["new"] == 3
    c = Customer.objects.get(name="宁波海曙精工有限公司")
    assert c.annual_revenue == Decimal("12000000.00")  # 1,200 万元
    assert c.industry == "manufacturing" and c.city == "宁波" and c.owner == world.owner
    assert c.notes == "老客户\n微信群: 群A"
    assert c.name_key == "宁波海曙精工" and c.phone_key == "057487654321"
    assert c.number.startswith("C") and c.history.count() == 1
    assert c.history.first().history_user == world.owner
    assert OwnershipChange.objects.filter(customer=c, reason="imported").count() == 1
    acme = Customer.objects.get(name="Acme Trading Co., Ltd.")
    assert acme.industry == "retail" and acme.phone_key == "13800138000"
    # the search index (SQLite trigger / PostgreSQL GIN) sees the bulk-written rows
    assert list(search(Customer.objects.all(), "海曙精工")) == [c]


def test_reimporting_the_same_file_changes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "c.csv", rows())
    run(path, world.owner, dry_run=False)
    before = list(Customer.objects.order_by("pk").values())
    history = Customer.history.count()
    again = run(path, world.owner, dry_run=False)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 3, "error": 0}
    assert list(Customer.objects.order_by("pk").values()) == before
    assert Customer.history.count() == history


def test_update_by_external_id_changes_only_mapped_non_empty_cells(world, tmp_path):
    first = write_csv(tmp_path / "a.csv", [["ID", "Company", "City"], ["X-1", "Foo Ltd", "杭州"]])
    run(first, world.owner, key="external_id", dry_run=False)
    c = Customer.objects.get(external_id="X-1")
    second = write_csv(tmp_path / "b.csv", [["ID", "Company", "City"], ["X-1", "Foo Ltd", ""]])
    assert run(second, world.owner, key="external_id").counts["unchanged"] == 1
    third = write_csv(tmp_path / "c.csv", [["ID", "Company", "City"], ["X-1", "Foo Ltd", "温州"]])
    result = run(third, world.owner, key="external_id", dry_run=False)
    assert result.counts["updated"] == 1
    c2 = Customer.objects.get(pk=c.pk)
    assert c2.city == "温州" and c2.version == c.version + 1 and c2.name == "Foo Ltd"
    assert c2.history.first().history_type == "~"


def test_errors_have_row_column_and_message_and_block_by_default(world, tmp_path):
    path = write_csv(
        tmp_path / "e.csv",
        [
            ["公司名称", "行业", "年销售额", "负责人"],
            ["好公司", "制造业", "100", ""],
            ["坏行业公司", "造火箭", "100", ""],
            ["负数公司", "制造业", "-5", ""],
            ["", "制造业", "1", ""],
        ],
    )
    result = run(path, world.owner, dry_run=False)
    assert not result.written and result.rolled_back
    assert result.counts["error"] == 3 and result.counts["new"] == 1
    assert (3, "行业", "“造火箭” is not one of the choices.") in result.errors
    assert (4, "年销售额", "The amount cannot be negative.") in result.errors
    assert (5, "公司名称", "A company name is required.") in result.errors
    assert not Customer.objects.filter(name="好公司").exists()  # all or nothing

    valid = run(path, world.owner, dry_run=False, valid_only=True)
    assert valid.written and valid.counts["new"] == 1
    assert Customer.objects.filter(name="好公司").exists()


def test_rep_cannot_import_into_another_reps_book(world, tmp_path):
    path = write_csv(
        tmp_path / "o.csv",
        [["客户名称", "负责人"], ["自己的公司", "rep_a1"], ["同事的公司", "rep_a2"]],
    )
    result = run(path, world.owner, dry_run=False, valid_only=True)
    assert result.counts == {"new": 1, "updated": 0, "unchanged": 0, "error": 1}
    assert result.errors == [(3, "负责人", "You cannot assign customers to this user.")]
    # a manager may put customers into a team member's book
    managed = run(path, world.manager, dry_run=False)
    assert managed.counts["new"] == 1 and managed.counts["unchanged"] == 1
    assert Customer.objects.get(name="同事的公司").owner == world.teammate


def test_existing_customer_of_another_rep_is_not_revealed(world, tmp_path):
    # world.other_customer = 深圳蓝海电子有限公司, owned by the outsider
    path = write_csv(tmp_path / "x.csv", [["公司名称", "城市"], ["深圳蓝海电子", "深圳"]])
    result = run(path, world.owner, dry_run=True)
    assert result.errors == [(2, "", "This customer exists in another rep's book.")]
    assert world.other_customer.number not in str(result.to_json())


def test_duplicates_in_file_and_possible_duplicates_in_db(world, tmp_path):
    path = write_csv(
        tmp_path / "d.csv",
        [
            ["外部编号", "公司名称", "电话"],
            ["E1", "杭州 青山机械制造 有限责任公司", ""],  # world.customer, other key
            ["E2", "深圳蓝海电子", ""],  # the outsider's customer
            ["E1", "重复行", ""],
        ],
    )
    result = run(path, world.owner, key="external_id", dry_run=True)
    assert (4, "", "Same key as row 2 of this file.") in result.errors
    warnings = {row: msg for row, _col, msg in result.warnings}
    assert world.customer.number in warnings[2]
    assert warnings[3] == "Possible duplicate of a customer in another rep's book (same name)."


def test_xlsx_with_dates_numbers_and_units(world, tmp_path):
    path = write_xlsx(
        tmp_path / "c.xlsx",
        [
            ["Company", "Annual revenue (k CNY)", "Phone", "Strategic"],
            ["Beta GmbH", 250, 13800001111, "是"],
        ],
    )
    result = run(path, world.owner, dry_run=False)
    assert result.counts["new"] == 1, result.errors
    c = Customer.objects.get(name="Beta GmbH")
    assert c.annual_revenue == Decimal("250000.00") and c.phone == "13800001111"
    assert c.is_strategic


def test_cancel_mid_import_leaves_database_unchanged(world, tmp_path):
    from guanxi.dataio.importing import ImportOptions, import_file
    from guanxi.dataio.mapping import auto_map

    data = [["公司名称"]] + [[f"批量公司{i}"] for i in range(30)]
    path = write_csv(tmp_path / "big.csv", data)
    before = Customer.objects.count()
    options = ImportOptions(
        kind="customers",
        columns=auto_map(["公司名称"], "customers"),
        key="name",
        dry_run=False,
        batch=10,
    )

    class CancelAfterFirstBatch(Reporter):
        def report(self, done, *, phase=None, force=False):
            if done >= 10:
                assert Customer.objects.count() == before + 10  # written, not committed
                cancel_request(7)
            super().report(done, phase=phase, force=True)

    with pytest.raises(Cancelled):
        import_file(path, user=world.owner, options=options, reporter=CancelAfterFirstBatch(7))
    assert Customer.objects.count() == before


def test_crash_mid_import_leaves_database_unchanged(world, tmp_path, monkeypatch):
    from guanxi.dataio import upsert
    from guanxi.dataio.importing import ImportOptions, import_file
    from guanxi.dataio.mapping import auto_map

    path = write_csv(tmp_path / "c.csv", [["公司名称"]] + [[f"崩溃测试{i}"] for i in range(25)])
    real = upsert.record_history
    calls = []

    def crash_on_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(upsert, "record_history", crash_on_second_batch)
    before = Customer.objects.count()
    options = ImportOptions(
        kind="customers", columns=auto_map(["公司名称"], "customers"), key="name",
        dry_run=False, batch=10,
    )  # fmt: skip
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(path, user=world.owner, options=options)
    assert Customer.objects.count() == before
    assert not Customer.history.filter(name__startswith="崩溃测试").exists()


def test_owner_rules_for_rows_without_an_owner(world, tmp_path):
    from guanxi.dataio.importing import users_index
    from guanxi.dataio.mapping import parse_owner_rules

    header = ["公司名称", "城市", "负责人"]
    path = write_csv(
        tmp_path / "r.csv",
        [
            header,
            ["规则一公司", "杭州", ""],
            ["规则二公司", "ＳＨＡＮＧＨＡＩ", ""],
            ["规则三公司", "杭州", "rep_a1"],
        ],
    )
    rules = parse_owner_rules(
        "城市=杭州: rep_a2\n城市 = shanghai → manager_a", header, users_index()[0]
    )
    result = run(path, world.manager, dry_run=False, owner_rules=rules)
    assert result.counts["new"] == 3, result.errors
    owners = dict(Customer.objects.filter(name__startswith="规则").values_list("name", "owner"))
    assert owners["规则一公司"] == world.teammate.pk and owners["规则二公司"] == world.manager.pk
    assert owners["规则三公司"] == world.owner.pk  # the owner column wins over rules
    # rules obey the same reach: a rep cannot route rows into a teammate's book
    other = write_csv(tmp_path / "s.csv", [header, ["规则四公司", "杭州", ""]])
    rep = run(other, world.owner, dry_run=True, owner_rules=rules)
    assert rep.errors == [(2, "负责人", "You cannot assign customers to this user.")]
    with pytest.raises(ValueError, match="Owner rule 1"):
        parse_owner_rules("没有这列=1: rep_a1", header, users_index()[0])
