"""Nightly scoring run, run by the Huey worker."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .recompute import recompute_all, recompute_customer


@db_periodic_task(crontab(hour="2", minute="30"))
def nightly_recompute() -> None:
    """Rescores whoever can have changed since the last run (the first run, a new
    standard or a missing change-log trigger make it a full run). Idempotent: a
    second run over unchanged data writes the same scores and no history; a crash
    rolls the whole run back (one transaction). Two overlapping runs serialise on
    the database lock (PostgreSQL) or write lock (SQLite)."""
    recompute_all(trigger="nightly")


@db_task()
def recompute_customer_task(customer_id: int) -> None:
    """Queue form of recompute_customer, for callers that should not wait."""
    recompute_customer(customer_id)
