"""CSV export of a customer list: UTF-8 with BOM (Excel on Windows), formula-safe cells."""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import choices
from .models import Customer

# A spreadsheet treats a cell starting with these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    """Text for one CSV cell; a leading quote disarms anything a spreadsheet would run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    """File-like object whose write() hands the line back, for csv.writer streaming."""

    def write(self, value: str) -> str:
        return value


def _label(name: str) -> str:
    return capfirst(str(Customer._meta.get_field(name).verbose_name))


def customer_csv_rows(queryset: QuerySet[Customer]) -> Iterator[str]:
    """Lines of the CSV file. Labels are resolved now, while the request's language is active."""
    header = [
        _label("number"),
        _label("name"),
        _label("industry"),
        _label("source"),
        _label("stage"),
        _label("owner"),
        _label("city"),
        _label("phone"),
        _label("website"),
        _label("tags"),
        _("Created"),
        _("Updated"),
    ]
    labels = {
        "industry": {k: str(v) for k, v in choices.Industry.choices},
        "source": {k: str(v) for k, v in choices.Source.choices},
        "stage": {k: str(v) for k, v in choices.Stage.choices},
    }
    rows = queryset.select_related("owner").prefetch_related("tags").iterator(chunk_size=1000)
    return _stream(header, labels, rows)


def _stream(
    header: list[str], labels: dict[str, dict[str, str]], rows: Iterable[Customer]
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(h) for h in header])
    for c in rows:
        yield writer.writerow(
            [
                safe_cell(value)
                for value in (
                    c.number,
                    c.name,
                    labels["industry"].get(c.industry, c.industry),
                    labels["source"].get(c.source, c.source),
                    labels["stage"].get(c.stage, c.stage),
                    str(c.owner),
                    c.city,
                    c.phone,
                    c.website,
                    " ".join(t.name for t in c.tags.all()),
                    _when(c.created_at),
                    _when(c.updated_at),
                )
            ]
        )


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
