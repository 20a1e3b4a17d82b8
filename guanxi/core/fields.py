"""Model fields whose column type depends on the database."""

from __future__ import annotations

from typing import Any

from django.db import models


class SQLiteRowIdMixin:
    """A primary key that SQLite keeps as the table's rowid.

    Django declares a `bigint` key, which SQLite stores beside a hidden rowid with a
    unique index of its own: every lookup by key searches two B-trees and every insert
    writes two. Declared INTEGER, the key is the rowid itself (what Django does for its
    own auto keys). Other databases get the parent's type."""

    primary_key: bool

    def db_type(self, connection: Any) -> str | None:
        if self.primary_key and connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)  # type: ignore[misc]


class RowIdBigIntegerField(SQLiteRowIdMixin, models.BigIntegerField):
    pass


class RowIdOneToOneField(SQLiteRowIdMixin, models.OneToOneField):
    pass
