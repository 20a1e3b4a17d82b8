"""Helpers of the import tests: write CSV/XLSX files and run the pipeline on them."""

import csv
from pathlib import Path

import xlsxwriter

from guanxi.dataio.importing import ImportOptions, import_file
from guanxi.dataio.mapping import auto_map
from guanxi.dataio.readers import open_table


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    return path


def run(path: Path, user, kind: str = "customers", key: str = "name", **options):
    with open_table(path, encoding=options.get("encoding")) as table:
        columns = auto_map(table.header, kind)
    for header, target in options.pop("override", {}).items():
        for col in columns:
            if col.header == header:
                col.target = target
    opts = ImportOptions(kind=kind, columns=columns, key=key, **options)
    return import_file(path, user=user, options=opts)
