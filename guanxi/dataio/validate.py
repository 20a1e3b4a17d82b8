"""Cell conversion and row validation: raw cells → typed values + (column, message) errors.

Pure Python and fast (one dict lookup per cell plus the conversion); no database
access here — users and choice labels are looked up in tables built once per import.
An empty cell is "no value": on a new record the field gets its default, on an
update the stored value stays (docs/import.md).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import compress, repeat
from operator import is_, itemgetter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import URLValidator, validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from guanxi.customers.models import phone_validator

from .mapping import IGNORE, NOTES, ColumnMap, Target, fold, targets

CENT = Decimal("0.01")
MAX_MONEY = Decimal("99999999999999.99")  # max_digits=16, decimal_places=2
EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?[\sT]*"
    r"(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?)?秒?$"
)
_MONEY_JUNK = str.maketrans("", "", "¥$,， 元\u00a0")
TRUE = {"1", "true", "yes", "y", "t", "是", "对", "√", "✓", "x是", "有"}
FALSE = {"0", "false", "no", "n", "f", "否", "不是", "无", "×", "✗"}


class CellError(ValueError):
    pass


class _Slow(Exception):
    """A column of a batch has a cell its fast path does not take: convert row by row."""


EMPTY = object()  # an empty cell in a converted column (the field gets no value)
NO_ERRORS: tuple = ()
MEMO_TYPES = ("choice", "user", "bool")  # few distinct values: convert each once a batch


class Columns:
    """A batch converted column by column: field → values in row order, EMPTY = no value."""

    def __init__(self, values: dict[str, list], sparse: set[str], length: int) -> None:
        self.values = values
        self.sparse = sparse  # fields whose column holds EMPTY
        self.length = length

    def full(self, name: str) -> bool:
        """Whether every row has a value for `name`."""
        return name in self.values and name not in self.sparse

    def select(self, keep: list[bool]) -> Columns:
        """The rows whose `keep` is true."""
        values = {k: list(compress(col, keep)) for k, col in self.values.items()}
        return Columns(values, self.sparse, sum(keep))

    def row(self, i: int) -> dict:
        """Row `i` as `RowConverter.convert` gives it."""
        return {k: col[i] for k, col in self.values.items() if col[i] is not EMPTY}

    def dicts(self) -> list[dict]:
        """Every row as `RowConverter.convert` gives it (C-level zip/compress, no row loop)."""
        names = list(self.values)
        columns = list(self.values.values())
        if not names:
            return [{} for _ in range(self.length)]
        dicts = list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))
        for name in self.sparse:  # empty cells give no value: drop them from their rows
            for d in compress(dicts, map(is_, self.values[name], repeat(EMPTY))):
                del d[name]
        return dicts


def _text(value) -> str:
    if value.__class__ is not str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # Excel gives 13800001111.0 for a number typed as digits
        value = str(value)
    value = value.strip()
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def _money(value, unit: Decimal | None) -> Decimal:
    amount = None
    if value.__class__ is str:
        try:  # fast path: a plain number such as 1234.50
            amount = Decimal(value)
        except InvalidOperation:
            amount = None
    elif isinstance(value, bool):
        raise CellError(_("Enter an amount."))
    elif isinstance(value, int | float):
        amount = Decimal(str(value))
    if amount is None:
        text = unicodedata.normalize("NFKC", str(value)).translate(_MONEY_JUNK)
        multiplier = Decimal(1)
        for word, mult in (("亿", 100000000), ("万", 10000), ("千", 1000)):
            if text.endswith(word):
                text, multiplier = text[: -len(word)], Decimal(mult)
                break
        try:
            amount = Decimal(text) * multiplier
        except InvalidOperation as exc:
            raise CellError(_("“%(value)s” is not an amount.") % {"value": value}) from exc
    if unit is not None:
        amount *= unit
    if not amount.is_finite():
        raise CellError(_("“%(value)s” is not an amount.") % {"value": value})
    if amount < 0:
        raise CellError(_("The amount cannot be negative."))
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount > MAX_MONEY:
        raise CellError(_("The amount is too large."))
    return amount


def _decimal(value, unit: Decimal | None) -> Decimal:
    text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("%")
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s” is not a number.") % {"value": value}) from exc
    if not number.is_finite() or abs(number) >= 1000:
        raise CellError(_("“%(value)s” is out of range.") % {"value": value})
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _int(value, unit: Decimal | None) -> int:
    if value.__class__ is str and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)  # fast path (ASCII: int() does not read every Unicode digit)
    try:
        number = Decimal(unicodedata.normalize("NFKC", str(value)).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value}) from exc
    if number != number.to_integral_value() or number < 0 or number > 2147483647:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(number)


def _bool(value, unit: Decimal | None) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(_text(value))
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(_("Write yes or no (是/否)."))


def _date(value, unit: Decimal | None) -> dt.date:
    if value.__class__ is str and len(value) == 10 and value[4] == "-":
        try:  # fast path: ISO 8601, what most exports write
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2958466:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))  # an Excel serial day
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DATE.match(text) or _DATETIME.match(text)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from exc


def _local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _datetime(value, unit: Decimal | None) -> dt.datetime:
    if isinstance(value, dt.datetime):
        naive = value
    elif isinstance(value, dt.date):
        naive = dt.datetime.combine(value, dt.time(9))
    elif isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2958466:
        naive = dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(days=float(value))
        naive = naive.replace(microsecond=0)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        m = _DATETIME.match(text)
        try:
            if m:
                naive = dt.datetime(*(int(g or 0) for g in m.groups()))
            elif _DATE.match(text):
                naive = dt.datetime.combine(_date(text, None), dt.time(9))
            else:
                naive = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise CellError(
                _("“%(value)s” is not a date and time (YYYY-MM-DD HH:MM).") % {"value": value}
            ) from exc
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=_local_tz())
    return naive.astimezone(dt.UTC)


def _phone(value, unit: Decimal | None) -> str:
    text = unicodedata.normalize("NFKC", _text(value))
    try:
        phone_validator(text)
    except Exception as exc:
        raise CellError(
            _("Enter a valid phone number: digits, spaces, dashes, an optional leading +.")
        ) from exc
    return text


def _email(value, unit: Decimal | None) -> str:
    text = unicodedata.normalize("NFKC", _text(value))
    try:
        validate_email(text)
    except Exception as exc:
        raise CellError(_("Enter a valid email address.")) from exc
    return text[:254]


_url_validator = URLValidator()


def _url(value, unit: Decimal | None) -> str:
    text = _text(value)
    if "://" not in text:
        text = "https://" + text
    try:
        _url_validator(text)
    except Exception as exc:
        raise CellError(_("Enter a valid web address.")) from exc
    if len(text) > 200:
        raise CellError(_("The text is too long (at most %(n)d characters).") % {"n": 200})
    return text


def choice_lookup(target: Target) -> dict[str, str]:
    """Folded value, English label and Chinese label → stored value."""
    table: dict[str, str] = {}
    assert target.choices is not None
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            for value, label in target.choices.choices:
                table.setdefault(fold(value), value)
                table.setdefault(fold(str(label)), value)
    return table


class RowConverter:
    """Converts one row of cells for the mapped columns of one kind.

    `users` maps folded username and display name → user id (every active user; the
    owner *permission* is checked later, by the pipeline).
    """

    def __init__(
        self,
        kind: str,
        columns: list[ColumnMap],
        users: dict[str, int],
        owner_rules: list[tuple[int, str, int]] = (),
    ) -> None:
        by_name = targets(kind)
        self.kind = kind
        self.owner_rules = list(owner_rules)
        self.users = users
        self.notes_columns = [(c.index, c.header) for c in columns if c.target == NOTES]
        self.plan: list[tuple[int, str, str, Callable, Decimal | None, int]] = []
        # the batch path: (cell index, field, column function, may give EMPTY)
        self.columns: list[tuple[int, str, Callable, bool]] = []
        self.choice_tables: dict[str, dict[str, str]] = {}
        for c in columns:
            if c.target in (IGNORE, NOTES):
                continue
            t = by_name[c.target]
            if t.type == "choice":
                self.choice_tables[t.name] = choice_lookup(t)
            # text columns (most of them) are converted inline in `convert`: -1 = not text
            limit = (t.max_length or 10**9) if t.type == "text" else -1
            convert = self._converter(t)
            self.plan.append((c.index, c.header, t.name, convert, c.unit, limit))
            column = self._column(t, convert, c.unit, limit)
            self.columns.append((c.index, t.name, column, t.type == "text"))
        self.fields = [p[2] for p in self.plan]
        self.width = 1 + max((p[0] for p in self.plan), default=-1)

    def _converter(self, t: Target) -> Callable:
        simple = {
            "money": _money,
            "decimal": _decimal,
            "int": _int,
            "bool": _bool,
            "date": _date,
            "datetime": _datetime,
            "phone": _phone,
            "email": _email,
            "url": _url,
        }
        if t.type in simple:
            return simple[t.type]
        if t.type == "choice":
            table = self.choice_tables[t.name]

            def choice(value, unit):
                text = fold(_text(value))
                found = table.get(text)
                if found is None and len(text) >= 2:
                    # 批发 for 批发与分销: a label's beginning, when only one label has it
                    starts = {v for label, v in table.items() if label.startswith(text)}
                    found = starts.pop() if len(starts) == 1 else None
                if found is None:
                    raise CellError(_("“%(value)s” is not one of the choices.") % {"value": value})
                return found

            return choice
        if t.type == "user":

            def user(value, unit):
                found = self.users.get(fold(_text(value)))
                if found is None:
                    raise CellError(_("No active user “%(value)s”.") % {"value": value})
                return found

            return user
        limit = t.max_length

        def text(value, unit):
            result = _text(value)
            if limit and len(result) > limit:
                raise CellError(
                    _("The text is too long (at most %(n)d characters).") % {"n": limit}
                )
            return result

        return text

    def _column(self, t: Target, convert: Callable, unit: Decimal | None, limit: int) -> Callable:
        """A converter of one whole column of a batch: precompiled, no per-cell dispatch.

        It takes the column's non-empty cells (None and "" are taken out before) and
        returns the converted values — EMPTY for a text cell that is blank after
        stripping — or raises `_Slow` when any cell is not of the common, valid shape;
        the batch then goes row by row through `convert`, which gives the exact
        per-cell errors. Both paths store the same values.
        """
        if t.type == "text" and limit > 0:

            def text(cells: list) -> list:
                if set(map(type, cells)) != {str}:
                    raise _Slow
                out = list(map(str.strip, cells))
                if max(map(len, out)) > limit:
                    raise _Slow
                joined = "".join(out)
                # NFC of the whole column implies NFC of each cell (normalising is local)
                if not (joined.isascii() or _is_nfc(joined) or all(map(_is_nfc, out))):
                    raise _Slow
                return [x or EMPTY for x in out] if "" in out else out  # blank: no value

            return text

        def generic(cells: list) -> list:
            try:
                return [convert(x, unit) for x in cells]
            except CellError as exc:
                raise _Slow from exc

        if t.type == "money":

            def money(cells: list) -> list:
                try:
                    if set(map(type, cells)) == {str}:
                        amounts = list(map(Decimal, cells))
                    elif any(x.__class__ is bool for x in cells):
                        raise _Slow
                    else:
                        amounts = [Decimal(str(x)) for x in cells]
                    if unit is not None:
                        amounts = [a * unit for a in amounts]
                    # NaN fails the comparison, ±Infinity the bounds or quantize
                    if min(amounts) < 0:
                        raise _Slow
                    out = [a.quantize(CENT, rounding=ROUND_HALF_UP) for a in amounts]
                    if max(out) > MAX_MONEY:
                        raise _Slow
                except (InvalidOperation, ValueError, TypeError) as exc:
                    raise _Slow from exc
                return out

            return money
        if t.type == "int":

            def whole(cells: list) -> list:
                if set(map(type, cells)) == {str}:
                    digits = "".join(cells)
                    # ASCII: int() does not read every Unicode digit (²)
                    if digits.isdigit() and digits.isascii() and max(map(len, cells)) < 10:
                        return list(map(int, cells))
                elif set(map(type, cells)) == {int} and 0 <= min(cells) <= max(cells) < 2**31:
                    return cells
                raise _Slow

            return whole
        if t.type == "date":

            def date(cells: list) -> list:
                if set(map(type, cells)) == {str}:
                    try:  # ISO 8601, what most exports write; else the per-cell rules
                        return list(map(dt.date.fromisoformat, cells))
                    except ValueError:
                        pass
                return generic(cells)

            return date
        if t.type in MEMO_TYPES:

            def memo(cells: list) -> list:
                if set(map(type, cells)) != {str}:
                    return generic(cells)  # 1, 1.0 and True are one key of a dict
                try:
                    known = {x: convert(x, unit) for x in set(cells)}
                except CellError as exc:
                    raise _Slow from exc
                return list(map(known.__getitem__, cells))

            return memo
        return generic

    def convert_columns(self, rows: list[list]) -> Columns | None:
        """The batch converted column by column, or None when it needs `convert` row by row.

        Per batch each column is pulled out once and converted by its precompiled
        column function. Any cell off the common path (an error, a ragged row, owner
        rules, notes columns) gives None: the caller converts that batch row by row,
        with identical results.
        """
        if not rows or self.owner_rules or self.notes_columns:
            return None
        if min(map(len, rows)) < self.width:
            return None
        values: dict[str, list] = {}
        sparse: set[str] = set()
        try:
            for index, name, column, blanks in self.columns:
                cells = list(map(itemgetter(index), rows))
                if None in cells or "" in cells:
                    filled = [i for i, x in enumerate(cells) if x is not None and x != ""]
                    converted = [EMPTY] * len(cells)
                    if filled:
                        done = column([cells[i] for i in filled])
                        for i, value in zip(filled, done, strict=True):
                            converted[i] = value
                    sparse.add(name)
                else:
                    converted = column(cells)
                    if blanks and EMPTY in converted:  # only text cells turn blank (strip)
                        sparse.add(name)
                values[name] = converted
        except _Slow:
            return None
        return Columns(values, sparse, len(rows))

    def convert_batch(self, rows: list[list]) -> list[tuple[dict, Sequence]]:
        """`[self.convert(cells) for cells in rows]`, computed column by column when it can."""
        columns = self.convert_columns(rows)
        if columns is None:
            return [self.convert(cells) for cells in rows]
        return list(zip(columns.dicts(), repeat(NO_ERRORS)))

    def convert(self, cells: list) -> tuple[dict, list[tuple[str, str]]]:
        """(values of the non-empty mapped cells, [(column header, message), ...])."""
        values: dict = {}
        errors: list[tuple[str, str]] = []
        width = len(cells)
        for index, header, name, convert, unit, limit in self.plan:
            raw = cells[index] if index < width else None
            if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
                continue
            if limit > 0 and raw.__class__ is str and raw.isascii():
                value = raw.strip()  # the common case of a plain ASCII text cell
                if len(value) <= limit:
                    values[name] = value
                    continue
            try:
                values[name] = convert(raw, unit)
            except CellError as exc:
                errors.append((header, str(exc)))
        if self.owner_rules and "owner" not in values:
            for index, wanted, owner in self.owner_rules:
                raw = cells[index] if index < width else None
                if raw is not None and fold(_text(raw)) == wanted:
                    values["owner"] = owner
                    break
        if self.notes_columns:
            extra = []
            for index, header in self.notes_columns:
                raw = cells[index] if index < width else None
                if raw is not None and str(raw).strip():
                    extra.append(f"{header}: {_text(raw)}")
            if extra:
                values["__notes__"] = "\n".join(extra)
        return values, errors
