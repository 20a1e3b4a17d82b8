"""Fast bulk inserts of plain row tuples: COPY on PostgreSQL, executemany on SQLite.

`bulk_create` builds a model instance per row and prepares every value in Python;
at millions of rows that, not the database, is the cost. Callers here hand over
values that are already database-ready (str, int, bool, None; timestamps as naive
UTC "YYYY-MM-DD HH:MM:SS", as Django stores them), listed by field name. Fields a
caller leaves out get their model default, so a new field with a default does not
break the writers.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class BulkWriter:
    def __init__(self, connection: BaseDatabaseWrapper):
        self.connection = connection
        self._plans: dict[tuple[type, tuple[str, ...]], tuple[str, tuple[Any, ...]]] = {}

    def _plan(self, model: type[models.Model], fields: tuple[str, ...]):
        key = (model, fields)
        if key not in self._plans:
            meta, qn = model._meta, self.connection.ops.quote_name
            columns = [meta.get_field(name).column for name in fields]
            given = set(columns)
            missing = [
                f
                for f in meta.concrete_fields
                if f.column not in given and not f.primary_key and not f.generated
            ]
            extra = tuple(f.get_db_prep_save(f.get_default(), self.connection) for f in missing)
            columns += [f.column for f in missing]
            self._plans[key] = (
                f"{qn(meta.db_table)} ({', '.join(qn(c) for c in columns)})",
                extra,
            )
        return self._plans[key]

    def write(
        self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]
    ) -> None:
        """Insert `rows` (tuples in `fields` order) into `model`'s table, in bulk."""
        if not rows:
            return
        target, extra = self._plan(model, tuple(fields))
        data: Iterable[tuple] = (r + extra for r in rows) if extra else rows
        width = len(fields) + len(extra)
        conn = self.connection
        conn.ensure_connection()
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        elif conn.vendor == "sqlite":
            # The raw sqlite3 connection: no per-row placeholder rewriting by Django.
            # `target` is built from model metadata with quote_name; values are parameters.
            sql = f"INSERT INTO {target} VALUES ({', '.join('?' * width)})"  # noqa: S608
            conn.connection.executemany(sql, data)
        else:
            with conn.cursor() as cursor:
                sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * width)})"  # noqa: S608
                cursor.executemany(sql, list(data))

    def reset_sequences(self, model_list: Iterable[type[models.Model]]) -> None:
        """Move id sequences past explicitly written ids (PostgreSQL; SQLite tracks it)."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(model_list))
        if statements:
            with self.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
