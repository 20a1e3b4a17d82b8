"""Readers (encodings, Excel) and automatic column mapping; no database needed."""

import codecs
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from guanxi.dataio.mapping import apply_saved, auto_map, default_key, signature, split_unit
from guanxi.dataio.readers import ReadError, detect_encoding, open_table

from .importing_helpers import write_xlsx


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


TEXT = "客户名称,电话\n杭州青山机械有限公司,0571-8888\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_csv_encodings_are_detected(tmp_path, data, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    with open_table(path) as table:
        assert table.encoding == expected
        assert table.header == ["客户名称", "电话"]
        assert list(table.rows) == [["杭州青山机械有限公司", "0571-8888"]]


def test_utf8_cut_inside_a_character_at_the_sample_edge_is_still_utf8():
    data = ("汉" * 100).encode("utf-8")
    assert detect_encoding(data[:-1]) == "utf-8"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("一一".encode("gbk"), "gb18030"),  # D2 BB D2 BB is valid UTF-8 (Cyrillic) too
        ("Société Générale,Zürich".encode(), "utf-8"),
        ("客户名称".encode("gbk"), "gb18030"),
    ],
)
def test_ambiguous_samples(data, expected):
    assert detect_encoding(data) == expected


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1))
def test_utf8_chinese_is_always_utf8(text):
    assert detect_encoding(text.encode("utf-8")) == "utf-8"


def test_encoding_override_and_wrong_encoding_message(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT.encode("gbk"))
    with pytest.raises(ReadError, match="not in utf-8"):
        open_table(path, encoding="utf-8")
    with open_table(path, encoding="gbk") as table:
        assert table.header[0] == "客户名称"


def test_semicolon_and_tab_separated_files(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("Company;City\nA;B\n", encoding="utf-8")
    with open_table(path) as table:
        assert table.header == ["Company", "City"] and list(table.rows) == [["A", "B"]]


def test_xlsx_rows_stream_with_native_types(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [["公司", "金额"], ["A", 12.5], ["B", 3]])
    with open_table(path) as table:
        assert table.header == ["公司", "金额"] and table.total == 2
        assert list(table.rows) == [["A", 12.5], ["B", 3.0]]


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"")
    with pytest.raises(ReadError):
        open_table(path)


@pytest.mark.parametrize(
    ("header", "base", "unit"),
    [
        ("年销售额(万元)", "年销售额", Decimal(10000)),
        ("年销售额（万元）", "年销售额", Decimal(10000)),
        ("销售额万元", "销售额", Decimal(10000)),
        ("Revenue (k CNY)", "Revenue", Decimal(1000)),
        ("金额(元)", "金额", Decimal(1)),
        ("电话(手机)", "电话(手机)", None),
    ],
)
def test_units_in_headers(header, base, unit):
    assert split_unit(header) == (base, unit)


def test_chinese_and_english_headers_map_automatically():
    header = ["客户名称", "公司名称", "Company", "行业", "年销售额(万元)", "负责人", "E-mail", "?"]
    columns = auto_map(header, "customers")
    assert [c.target for c in columns] == [
        "name", "", "", "industry", "annual_revenue", "owner", "", "",
    ]  # fmt: skip
    assert columns[4].unit == Decimal(10000)
    orders = auto_map(["客户编号", "订单号", "下单日期", "金额"], "orders")
    assert [c.target for c in orders] == ["customer_number", "number", "ordered_on", "amount"]
    assert default_key("orders", orders) == "number"
    assert default_key("customers", columns) == "name"


def test_saved_mapping_matches_by_header_and_signature_ignores_order():
    saved = {
        "Firma": {"target": "name", "unit": ""},
        "Umsatz": {"target": "annual_revenue", "unit": "1000"},
    }
    columns = apply_saved(["Umsatz", "Firma", "Ort"], "customers", saved)
    assert [(c.target, c.unit) for c in columns] == [
        ("annual_revenue", Decimal(1000)), ("name", None), ("", None),
    ]  # fmt: skip
    assert signature(["A", "B"]) == signature(["b", "a"]) != signature(["A", "C"])


def test_large_xlsx_is_streamed_with_the_same_rows(tmp_path, monkeypatch):
    from guanxi.dataio import readers

    data = [["公司", "金额", "是否", "空"], ["A", 12.5, True, None], [], ["B", 3, False, "x"]]
    path = write_xlsx(tmp_path / "f.xlsx", data)
    with open_table(path) as table:
        expected = (table.header, list(table.rows))
    monkeypatch.setattr(readers, "STREAM_XLSX_BYTES", 0)
    with open_table(path) as table:
        assert table.close is not None and table.total == 3
        streamed = (table.header, [[c for c in row] for row in table.rows])
    assert streamed[0] == expected[0]
    # calamine pads rows to the sheet width; the stream leaves trailing blanks out
    pad = [(row + [None] * 4)[:4] for row in streamed[1]]
    assert [[None if c == "" else c for c in row] for row in expected[1]] == pad
