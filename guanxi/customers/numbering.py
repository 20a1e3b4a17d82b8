"""Customer numbers: prefix + yyyymm + a monthly sequence, e.g. C202405001."""

import datetime as dt

from django.db import transaction
from django.db.models import F

from .models import NumberSequence

PREFIX = "C"
MIN_DIGITS = 3


def format_number(key: str, seq: int) -> str:
    return f"{key}{seq:0{MIN_DIGITS}d}"


@transaction.atomic
def reserve_customer_numbers(day: dt.date, count: int = 1) -> list[str]:
    """Reserve `count` consecutive numbers for the month of `day`.

    The counter row is bumped with one atomic UPDATE, so concurrent callers never
    share a number, on SQLite or PostgreSQL, across processes.
    """
    key = f"{PREFIX}{day:%Y%m}"
    NumberSequence.objects.get_or_create(key=key)
    NumberSequence.objects.filter(key=key).update(last=F("last") + count)
    last = NumberSequence.objects.values_list("last", flat=True).get(key=key)
    return [format_number(key, n) for n in range(last - count + 1, last + 1)]
