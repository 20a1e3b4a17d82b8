"""Shared write helpers: optimistic locking on top of Django's save()."""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models, transaction

from .exceptions import ConflictError
from .models import VersionedModel

M = TypeVar("M", bound=VersionedModel)


@transaction.atomic
def versioned_update(
    instance: M,
    *,
    expected_version: int | None,
    changes: dict[str, Any],
    reason: str = "",
) -> M:
    """Apply `changes` if the stored version still equals `expected_version`.

    The row is locked (PostgreSQL) or the write transaction is already exclusive
    (SQLite in IMMEDIATE mode), so two writers cannot both pass the check.
    `expected_version=None` means the caller did not read a version (internal jobs).
    """
    model = type(instance)
    fresh = model._base_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise ConflictError(
            current_version=fresh.version,
            current={name: getattr(fresh, name) for name in changes if not _is_m2m(model, name)},
        )
    m2m: dict[str, Iterable] = {}
    for name, value in changes.items():
        if _is_m2m(model, name):
            m2m[name] = value
        else:
            setattr(fresh, name, value)
    fresh.version = fresh.version + 1
    if reason:
        fresh._change_reason = reason
    fresh.save()
    for name, value in m2m.items():
        getattr(fresh, name).set(value)
    return fresh


def _is_m2m(model: type[models.Model], name: str) -> bool:
    try:
        return model._meta.get_field(name).many_to_many
    except Exception:
        return False
