"""The import's fast paths give exactly what the row-by-row paths give.

* `RowConverter.convert_batch` (column by column) against `convert` (cell by cell),
  on batches mixing the common shapes with every kind of odd or invalid cell;
* `SeenKeys` across the in-memory → spilled boundary;
* a clean file (all on the fast paths) stores the same rows as one forced row by row;
* the orders column path: tests/dataio/test_import_order_columns.py.
"""

import datetime as dt
import gc
import random
from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.customers.models import Order
from guanxi.dataio import validate
from guanxi.dataio.mapping import auto_map
from guanxi.dataio.upsert import SeenKeys
from guanxi.dataio.validate import RowConverter

from .importing_helpers import run, write_csv

USERS = {"rep_a": 7, "王小明": 8}

# per column: cells of the common shape first, odd or invalid ones after
POOL = {
    "客户外部编号": ["X0000001", " X2 ", "", None, "客户Ｘ", "e\u0301", "x" * 65, 12, 3.0],
    "订单号": ["SO1", "SO2", "  ", "\t", "SO 3", "", 5],
    "下单日期": ["2025-03-05", "2025/3/5", "2025年3月5日", "45000", 45000, "昨天", "2025-02-30"],
    "金额(万元)": ["1.5", "0.2", "12", "", "¥1,234", "12.5万", "-1", "-0.001", "NaN", "inf"],
    "毛利率": ["12.5", "", "1000", "abc", "12%"],
    "产品线": ["泵阀", "", "pump", "x" * 81, " 轴承 "],
    "数量": ["3", "10", "", "²", "-2", "1.0", "1_000", 7, True, 2.5, "99999999999"],
}
CUSTOMER_POOL = {
    "客户名称": ["杭州精工有限公司", "Acme Ltd", "", "  "],
    "行业": ["制造业", "软件", "批发", "manufacturing", "不存在", "", 1, True],
    "负责人": ["rep_a", "王小明", "", "nobody"],
    "战略客户": ["是", "否", "yes", "maybe", "", 1, True, 0.0, False],
    "电话": ["0571-88886666", "", "abc"],
    "邮箱": ["a@b.cn", "x@y.com", "nope"],
    "满意度": ["5", "0", ""],
    "年销售额(万元)": ["80", "1.25", "", "-3"],
}


def _rows(pool: dict, rng: random.Random, n: int, odd: float) -> list[list]:
    rows = []
    for _ in range(n):
        row = []
        for cells in pool.values():
            common = [c for c in cells[:2] if c not in ("", None)] or cells[:1]
            row.append(rng.choice(cells) if rng.random() < odd else rng.choice(common))
        rows.append(row)
    return rows


def _same(batch, single):
    # repr: Decimal("1.50") and Decimal("1.5") are ==, but must be stored alike
    assert [(repr(sorted(v.items())), list(e)) for v, e in batch] == [
        (repr(sorted(v.items())), list(e)) for v, e in single
    ]


@pytest.mark.parametrize(
    "kind,pool", [("orders", POOL), ("customers", CUSTOMER_POOL), ("contacts", CUSTOMER_POOL)]
)
@pytest.mark.parametrize("odd", [0.0, 0.02, 0.3])
def test_convert_batch_equals_cell_by_cell(kind, pool, odd):
    with translation.override("en"):
        columns = auto_map(list(pool), kind)
        converter = RowConverter(kind, columns, USERS)
        rng = random.Random(f"{kind}{odd}")
        for _ in range(30):
            rows = _rows(pool, rng, rng.randint(1, 40), odd)
            _same(converter.convert_batch(rows), [converter.convert(r) for r in rows])


def test_convert_batch_takes_the_fast_path_on_clean_columns(monkeypatch):
    columns = auto_map(list(POOL), "orders")
    converter = RowConverter("orders", columns, USERS)
    rows = [
        ["X1", f"SO{i}", "2025-03-05", "1.5", "", "" if i % 2 else "泵阀", "3"] for i in range(9)
    ]
    monkeypatch.setattr(converter, "convert", lambda cells: pytest.fail("row by row"))
    out = converter.convert_batch(rows)
    assert out[0][0] == {
        "customer_external_id": "X1",
        "number": "SO0",
        "ordered_on": dt.date(2025, 3, 5),
        "amount": Decimal("15000.00"),
        "product_line": "泵阀",
        "quantity": 3,
    }
    assert "product_line" not in out[1][0]  # an empty cell is no value
    assert all(not errors for _v, errors in out)


def test_convert_batch_ragged_rows_and_blank_text_go_row_by_row():
    columns = auto_map(["订单号", "金额", "备注说明"], "orders")
    converter = RowConverter("orders", columns, USERS)
    rows = [["SO1", "1"], ["SO2", "2", "x"], ["  ", "3"]]
    _same(converter.convert_batch(rows), [converter.convert(r) for r in rows])
    assert converter.convert_batch(rows)[2][0] == {"amount": Decimal("3.00")}


def test_seen_keys_in_memory_then_spilled():
    seen = SeenKeys(memory_keys=3)
    assert seen.first_rows([(2, "a"), (3, "b"), (4, "a")]) == {4: 2}
    assert seen.db is None  # two keys: still in memory
    assert seen.first_rows([(5, "b"), (6, "c")]) == {5: 3}
    assert seen.db is None and seen.count == 3
    assert seen.first_rows([(7, "d"), (8, "e")]) == {}
    assert seen.db is not None and seen.runs == []  # five keys > 3: spilled
    # after the spill: keys of before and after it, within a batch and across batches
    assert seen.first_rows([(9, "a"), (10, "e"), (11, "f"), (12, "f"), (13, "c")]) == {
        9: 2,
        10: 8,
        12: 11,
        13: 6,
    }
    assert seen.first_rows([(14, "f"), (15, "g")]) == {14: 11}
    seen.close()


@pytest.mark.parametrize("memory_keys,run_cap", [(10**6, 1 << 18), (10**6, 16), (40, 16), (0, 16)])
def test_seen_keys_equal_a_plain_dict(memory_keys, run_cap, monkeypatch):
    """Against the obvious per-row dict, over many batches: in memory (runs merged, and
    runs capped so that many stay apart), spilled mid-way and spilled from the start;
    results in row order."""
    from guanxi.dataio import upsert

    monkeypatch.setattr(upsert, "SEEN_RUN", run_cap)
    rng = random.Random(memory_keys)
    seen = SeenKeys(memory_keys=memory_keys)
    first: dict[str, int] = {}
    row = 2
    for _ in range(60):
        keyed = []
        for _ in range(rng.randint(0, 30)):
            keyed.append((row, f"k{rng.randint(0, 400)}"))
            row += rng.randint(1, 2)
        expected = {}
        for r, k in keyed:
            if k in first:
                expected[r] = first[k]
            else:
                first[k] = r
        got = seen.first_rows(keyed)
        assert got == expected and list(got) == sorted(got)
    assert (seen.db is not None) == (memory_keys < 400)
    if seen.db is None:
        sizes = [len(h) for h, _rows in seen.runs]
        assert sum(sizes) == len(first) and max(sizes) <= max(run_cap, 30)
    seen.close()


def test_seen_keys_never_spilled_closes_cleanly():
    seen = SeenKeys()
    assert seen.first_rows([(2, "a")]) == {}
    seen.close()
    assert seen.db is None


@pytest.mark.django_db
def test_clean_file_fast_path_stores_what_row_by_row_stores(world, tmp_path, monkeypatch):
    number = world.customer.number
    header = ["客户编号", "订单号", "下单日期", "金额(万元)", "毛利率", "产品线", "数量"]
    rows = [
        [number, f"SO-{i}", f"2025-03-{1 + i % 28:02d}", f"{i}.25", "", ["泵阀", ""][i % 2], ""]
        for i in range(40)
    ]
    path = write_csv(tmp_path / "o.csv", [header, *rows])

    def stored():
        return list(
            Order.objects.filter(number__startswith="SO-")
            .order_by("number")
            .values_list(
                "number", "ordered_on", "amount", "gross_margin", "product_line", "quantity"
            )
        )

    fast = run(path, world.owner, kind="orders", key="number", dry_run=False, batch=7)
    assert fast.counts["new"] == 40 and fast.written
    assert gc.isenabled()  # the import pauses automatic GC only while it runs
    first = stored()
    Order.history.filter(number__startswith="SO-").delete()
    Order.objects.filter(number__startswith="SO-").delete()
    # row by row: no batch converted column by column, so no column path either
    monkeypatch.setattr(validate.RowConverter, "convert_columns", lambda self, rows: None)
    slow = run(path, world.owner, kind="orders", key="number", dry_run=False, batch=7)
    assert slow.counts == fast.counts and slow.preview == fast.preview
    assert stored() == first
    assert first[1] == ("SO-1", dt.date(2025, 3, 2), Decimal("12500.00"), None, "", 1)
    assert len(first) == 40
    again = run(path, world.owner, kind="orders", key="number", dry_run=False)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 40, "error": 0}
    assert Order.history.filter(number__startswith="SO-", history_type="+").count() == 40


@pytest.mark.django_db
def test_blank_lines_are_skipped_and_row_numbers_kept(world, tmp_path):
    number = world.customer.number
    path = write_csv(
        tmp_path / "o.csv",
        [
            ["客户编号", "订单号", "下单日期", "金额"],
            [number, "SO-A", "2025-03-05", "1"],
            [],
            ["", "", "", ""],
            [number, "SO-B", "不是日期", "1"],
            [number, "SO-A", "2025-03-05", "1"],
        ],
    )
    with translation.override("en"):
        result = run(path, world.owner, kind="orders", key="number", batch=2)
    assert result.rows == 3 and result.counts["new"] == 1
    assert [(row, message) for row, _col, message in result.errors] == [
        (5, "“不是日期” is not a date (YYYY-MM-DD)."),
        (6, "Same key as row 2 of this file."),
    ]


@pytest.mark.django_db
def test_new_rows_queued_across_batches_are_all_written_with_history(world, tmp_path, monkeypatch):
    from guanxi.dataio import upsert_children

    monkeypatch.setattr(upsert_children, "FLUSH_ROWS", 3)
    customers = [world.customer.number, world.other_customer.number]
    header = ["客户编号", "订单号", "下单日期", "金额"]
    rows = [[customers[i % 2], f"SQ-{i}", "2025-03-05", f"{i}"] for i in range(7)]
    path = write_csv(tmp_path / "o.csv", [header, *rows])
    result = run(path, world.director, kind="orders", key="number", dry_run=False, batch=2)
    assert result.counts["new"] == 7 and result.written
    written = list(Order.objects.filter(number__startswith="SQ-").order_by("id"))
    assert sorted(o.number for o in written) == [f"SQ-{i}" for i in range(7)]
    # written 4 + 3 rows (the queue is flushed once it holds 3 or more); in each write the
    # ids follow the customer, and a customer's rows keep their file order
    pk = [[world.customer.pk, world.other_customer.pk][i % 2] for i in range(7)]
    order = [*sorted(range(4), key=pk.__getitem__), *sorted(range(4, 7), key=pk.__getitem__)]
    assert [o.number for o in written] == [f"SQ-{i}" for i in order]
    assert [o.customer_id for o in written] == [pk[i] for i in order]
    history = Order.history.filter(number__startswith="SQ-", history_type="+")
    assert sorted(h.id for h in history) == [o.id for o in written]
    assert {h.history_user_id for h in history} == {world.director.pk}


@pytest.mark.django_db
def test_queued_rows_are_not_written_when_a_later_batch_fails(world, tmp_path):
    header = ["客户编号", "订单号", "下单日期", "金额"]
    rows = [[world.customer.number, f"SR-{i}", "2025-03-05", "1"] for i in range(5)]
    rows.append([world.customer.number, "SR-X", "not a date", "1"])
    path = write_csv(tmp_path / "o.csv", [header, *rows])
    result = run(path, world.owner, kind="orders", key="number", dry_run=False, batch=2)
    assert result.rolled_back and not result.written
    assert not Order.objects.filter(number__startswith="SR-").exists()
    assert not Order.history.filter(number__startswith="SR-").exists()


@pytest.mark.django_db
def test_row_writer_stores_what_bulk_writer_stores(world):
    """Multi-row INSERTs (SQLite): full statements and the rest, fields left out get
    their defaults, as with executemany/COPY."""
    from django.db import connection

    from guanxi.customers.bulk import BulkWriter
    from guanxi.dataio.sqlwrite import ROWS_PER_INSERT, RowWriter

    fields = ("created_at", "updated_at", "version", "customer", "number", "ordered_on")
    fields += ("amount",)  # gross_margin, product_line, quantity: defaults
    now = "2026-01-02 03:04:05"
    n = 2 * ROWS_PER_INSERT + 234
    rows = [
        (now, now, 1, world.customer.pk, f"RW-{i:05d}", "2025-03-05", f"{i}.25") for i in range(n)
    ]
    columns = ("number", "customer", "ordered_on", "amount", "gross_margin", "product_line")
    columns += ("quantity", "version", "created_at")

    def stored(prefix):
        return [
            (number[len(prefix) :], *rest)
            for number, *rest in Order.objects.filter(number__startswith=prefix)
            .order_by("number")
            .values_list(*columns)
        ]

    RowWriter(connection).write(Order, fields, rows)
    BulkWriter(connection).write(Order, fields, [(*r[:4], "B" + r[4], *r[5:]) for r in rows])
    ours, theirs = stored("RW-"), stored("BRW-")
    assert len(ours) == n and ours == theirs
    assert ours[-1][1:7] == (
        world.customer.pk,
        dt.date(2025, 3, 5),
        Decimal(f"{n - 1}.25"),
        None,
        "",
        1,
    )


@pytest.mark.django_db
def test_row_writer_failing_row_raises_and_the_transaction_keeps_nothing(world):
    """INSERT OR FAIL keeps the rows before a failing one in its statement; the error
    is Django's, and the surrounding transaction (the import's) rolls them back."""
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "sqlite":
        pytest.skip("the multi-row INSERT is SQLite's; PostgreSQL writes with COPY")

    from guanxi.dataio.sqlwrite import ROWS_PER_INSERT, RowWriter

    fields = ("created_at", "updated_at", "version", "customer", "number", "ordered_on")
    fields += ("amount",)
    now = "2026-01-02 03:04:05"
    rows = [
        (now, now, 1, world.customer.pk, f"RF-{i}", "2025-03-05", "-1" if i == 600 else "1")
        for i in range(ROWS_PER_INSERT + 300)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        RowWriter(connection).write(Order, fields, rows)
    assert not Order.objects.filter(number__startswith="RF-").exists()


@pytest.mark.django_db
def test_key_probes_find_keys_holding_any_character(world):
    """Key probes (`pairs`, `any_exists`) send PostgreSQL text keys as one string split
    by the server; a key holding the separator goes as an array, and is found alike."""
    from guanxi.customers.models import Customer
    from guanxi.dataio.upsert import Handler

    odd = "A\x1fB"
    world.customer.external_id = odd
    world.customer.save()
    world.other_customer.external_id = "EXT-2"
    world.other_customer.save()
    handler = Handler.__new__(Handler)
    for keys in ([odd, "EXT-2", "nope"], ["EXT-2", "nope"], [odd]):
        found = sorted(handler.pairs(Customer, "external_id", keys))
        expected = sorted(
            (k, pk)
            for k, pk in ((odd, world.customer.pk), ("EXT-2", world.other_customer.pk))
            if k in keys
        )
        assert found == expected
        assert handler.any_exists(Customer, "external_id", keys) == bool(expected)
    assert not handler.any_exists(Customer, "external_id", ["A", "B", "nope"])
