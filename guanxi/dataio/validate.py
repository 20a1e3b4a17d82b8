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
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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


def _text(value) -> str:
    if value.__class__ is not str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # Excel gives 13800001111.0 for a number typed as digits
        value = str(value)
    value = value.strip()
    return value if unicodedata.is_normalized("NFC", value) else unicodedata.normalize("NFC", value)


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
    if value.__class__ is str and value.isdigit() and len(value) < 10:
        return int(value)  # fast path
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
        self.choice_tables: dict[str, dict[str, str]] = {}
        for c in columns:
            if c.target in (IGNORE, NOTES):
                continue
            t = by_name[c.target]
            if t.type == "choice":
                self.choice_tables[t.name] = choice_lookup(t)
            # text columns (most of them) are converted inline in `convert`: -1 = not text
            limit = (t.max_length or 10**9) if t.type == "text" else -1
            self.plan.append((c.index, c.header, t.name, self._converter(t), c.unit, limit))
        self.fields = [p[2] for p in self.plan]

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
