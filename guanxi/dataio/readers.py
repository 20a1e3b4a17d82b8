"""Streaming readers for import files: CSV (UTF-8, UTF-8 with BOM, GB18030) and Excel.

A reader yields the header once and then rows as lists of cells, lazily, so a file of
a million rows is never held in Python at once. CSV is decoded as it is read. Excel
files are parsed by python-calamine (Rust): it keeps the sheet's cells in compact
native memory and hands them to Python one row at a time.

Encoding detection for CSV: a BOM decides; otherwise the first 256 KiB must decode
as UTF-8 (a cut multi-byte character at the end of the sample is allowed), else the
file is GB18030 — the superset of GBK/GB2312 that Excel on Chinese Windows writes.
Sample text that is valid UTF-8 with only two-byte characters but reads as Chinese
in GB18030 is GB18030 (GBK 一 is the valid UTF-8 pair D2 BB).
The caller can override the guess.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

SAMPLE = 256 * 1024
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


class ReadError(ValueError):
    """The file cannot be read as a table (shown to the user as is)."""


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig, utf-8 or gb18030 for the first bytes of a CSV file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    if all(ord(ch) < 0x250 for ch in text) or any(ord(ch) >= 0x800 for ch in text):
        return "utf-8"  # ASCII/European letters, or 3-byte characters (CJK): real UTF-8
    # Only 2-byte sequences beyond Latin (Cyrillic, Greek…): GBK text of some
    # characters (一 is D2 BB) is valid UTF-8 too. If it reads as Chinese, it is GBK.
    try:
        gb = codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "utf-8"
    return "gb18030" if any("\u4e00" <= ch <= "\u9fff" for ch in gb) else "utf-8"


@dataclass
class Table:
    """An opened file: its header, an estimate of its row count, and its rows."""

    path: Path
    header: list[str]
    rows: Iterator[list[Cell]]  # data rows after the header, lazily
    total: int = 0  # estimated data rows (for the progress bar); 0 = unknown
    encoding: str = ""  # CSV only
    first_row: int = 2  # spreadsheet row number of the first data row
    _closers: list = field(default_factory=list, repr=False)

    def close(self) -> None:
        for close in self._closers:
            close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_table(path: str | Path, *, encoding: str | None = None, sheet: int = 0) -> Table:
    """Open a CSV or Excel file; raises ReadError when it is neither or has no header."""
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _open_excel(path, sheet)
    return _open_csv(path, encoding)


def _header(cells: list[Cell]) -> list[str]:
    header = ["" if c is None else str(c).strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise ReadError(_("The first row must hold the column names."))
    return header


def _count_lines(path: Path) -> int:
    """Newlines in the file (fast, binary): a close estimate of CSV rows."""
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _open_csv(path: Path, encoding: str | None) -> Table:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE)
    encoding = encoding or detect_encoding(sample)
    if encoding in ("utf-8", "utf8") and sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ReadError(_("Unknown encoding: %(encoding)s") % {"encoding": encoding}) from exc
    text = io.open(path, encoding=encoding, newline="", errors="strict")  # noqa: UP020, SIM115 (closed by Table.close)
    try:
        dialect = csv.Sniffer().sniff(sample[:8192].decode(encoding, "ignore"), ",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = _header(next(reader))
    except StopIteration as exc:
        text.close()
        raise ReadError(_("The file is empty.")) from exc
    except UnicodeDecodeError as exc:
        text.close()
        raise ReadError(
            _("The file is not in %(encoding)s; choose its encoding.") % {"encoding": encoding}
        ) from exc
    total = max(0, _count_lines(path) - 1)

    def rows() -> Iterator[list[Cell]]:
        try:
            yield from reader
        except UnicodeDecodeError as exc:
            raise ReadError(
                _("Line %(line)d is not in %(encoding)s; choose the file's encoding.")
                % {"line": reader.line_num + 1, "encoding": encoding}
            ) from exc

    return Table(path, header, rows(), total, encoding, 2, [text.close])


def _open_excel(path: Path, sheet: int) -> Table:
    if path.suffix.lower() in (".xlsx", ".xlsm") and sheet == 0:
        part = _first_sheet_part(path)
        if part and part[1] > STREAM_XLSX_BYTES:
            return _open_xlsx_stream(path, part[0])
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        ws = book.get_sheet_by_index(sheet)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise ReadError(_("Cannot read this spreadsheet: %(error)s") % {"error": exc}) from exc
    it = ws.iter_rows()
    skipped = (ws.start or (0, 0))[0]  # calamine starts at the first non-empty row
    try:
        header = _header(next(it))
    except StopIteration as exc:
        book.close()
        raise ReadError(_("The sheet is empty.")) from exc
    return Table(path, header, it, max(0, ws.height - 1), "", skipped + 2, [book.close])


# --- large .xlsx: streamed -----------------------------------------------------
# calamine parses a whole sheet into native memory (about 150 bytes a cell: 1M rows ×
# 6 columns ≈ 0.9 GB). Above this size of the sheet's XML we read the XML as a stream
# instead: memory then holds the shared-string table and 1 MiB of XML, whatever the length.
STREAM_XLSX_BYTES = 32 * 1024 * 1024
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _first_sheet_part(path: Path) -> tuple[str, int] | None:
    """(zip member, uncompressed size) of the workbook's first sheet."""
    import posixpath
    import xml.etree.ElementTree as ET  # noqa: S405 (a zip member of the uploaded file)
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            book = ET.fromstring(zf.read("xl/workbook.xml"))  # noqa: S314
            first = book.find(f"{_NS}sheets/{_NS}sheet")
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
            rid = first.get(f"{_REL_NS}id") if first is not None else None
            target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
            if not target:
                return None
            member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            return member, zf.getinfo(member).file_size
    except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError):
        return None


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


_ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)\d*"')
_ROWNUM = re.compile(rb'\br="(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_V = re.compile(rb"<v>(.*?)</v>", re.S)
_T = re.compile(rb"<t\b[^>]*>(.*?)</t>", re.S)
_SI = re.compile(rb"<si>(.*?)</si>", re.S)
# The common shapes, in one C-speed findall per row: <c r="B7" s="1" t="s"><v>3</v></c>
# and <c r="B7" t="inlineStr"><is><t>text</t></is></c>; anything else takes _CELL.
_FAST_CELL = re.compile(
    rb'<c r="([A-Z]+)\d+"(?: s="\d+")?(?: t="(\w+)")?>'
    rb"(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)</c>"
)


def _fast_cells(found: list[tuple[bytes, bytes, bytes, bytes]], value) -> list[Cell]:
    cells: list[Cell] = []
    for letters, kind, v, inline in found:
        index = _column_index(letters.decode()) if len(letters) > 1 else letters[0] - 65
        while len(cells) < index:
            cells.append(None)
        if kind == b"inlineStr":
            text = inline.decode("utf-8")
            cells.append(html.unescape(text) if "&" in text else text)
        else:
            cells.append(value(b' t="' + kind + b'"' if kind else b"", b"<v>" + v + b"</v>"))
    return cells


CHUNK = 1 << 20


def _text_of(xml: bytes) -> str:
    text = b"".join(_T.findall(xml)).decode("utf-8")
    return html.unescape(text) if "&" in text else text


def _scan(fh, pattern: re.Pattern, closing: bytes) -> Iterator[re.Match]:
    """Matches of `pattern` in a large XML stream, read 1 MiB at a time."""
    buffer = b""
    while True:
        chunk = fh.read(CHUNK)
        buffer += chunk
        cut = len(buffer) if not chunk else buffer.rfind(closing) + len(closing)
        if cut >= len(closing):
            yield from pattern.finditer(buffer, 0, cut)
            buffer = buffer[cut:]
        if not chunk:
            return


def _open_xlsx_stream(path: Path, member: str) -> Table:
    """Rows of a sheet read straight from its XML with regular expressions.

    The sheet XML is machine-written and regular (<row><c r= t=><v>…</v></c></row>);
    scanning it is several times faster than an XML parser in Python, and memory holds
    the shared-string table plus 1 MiB of XML. Dates arrive as Excel serial numbers,
    which the date converters read.
    """
    import zipfile

    zf = zipfile.ZipFile(path)
    shared: list[str] = []
    if "xl/sharedStrings.xml" in zf.namelist():
        with zf.open("xl/sharedStrings.xml") as fh:
            shared = [_text_of(m.group(1)) for m in _scan(fh, _SI, b"</si>")]
    stream = zf.open(member)

    def value(attrs: bytes, body: bytes | None) -> Cell:
        if not body:
            return None
        m = _TYPE.search(attrs)
        kind = m.group(1) if m else b"n"
        if kind == b"inlineStr":
            return _text_of(body)
        v = _V.search(body)
        if v is None:
            return None
        raw = v.group(1)
        if kind == b"s":
            return shared[int(raw)]
        if kind in (b"str", b"e"):
            text = raw.decode("utf-8")
            return html.unescape(text) if "&" in text else text
        if kind == b"b":
            return raw == b"1"
        number = float(raw)
        return int(number) if number.is_integer() and raw.isdigit() else number

    def rows() -> Iterator[list[Cell]]:
        expected = 1
        for row in _scan(stream, _ROW, b"</row>"):
            m = _ROWNUM.search(row.group(1))
            number = int(m.group(1)) if m else expected
            while expected < number:  # empty rows are left out of the XML
                expected += 1
                yield []
            expected = number + 1
            body = row.group(2) or b""
            fast = _FAST_CELL.findall(body)
            if len(fast) == body.count(b"<c "):
                yield _fast_cells(fast, value)
                continue
            cells: list[Cell] = []
            for c in _CELL.finditer(body):
                ref = _REF.search(c.group(1))
                index = _column_index(ref.group(1).decode()) if ref else len(cells)
                while len(cells) < index:
                    cells.append(None)
                cells.append(value(c.group(1), c.group(2)))
            yield cells

    it = rows()
    try:
        header = _header(next(it))
    except StopIteration as exc:
        stream.close()
        zf.close()
        raise ReadError(_("The sheet is empty.")) from exc
    return Table(path, header, it, _dimension_rows(zf, member), "", 2, [stream.close, zf.close])


def _dimension_rows(zf, member: str) -> int:
    """Data rows from the sheet's <dimension ref="A1:F1000001"/> (0 when absent)."""
    with zf.open(member) as fh:
        head = fh.read(4096).decode("utf-8", "ignore")
    m = re.search(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    return max(0, int(m.group(1)) - 1) if m else 0
