"""Huey schedules: the alerts job hourly, the email digest every morning."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .digest import send_digests
from .job import run_alerts


@db_periodic_task(crontab(minute="5"))
@lock_task("guanxi-alerts-job")
def hourly_alerts() -> None:
    """Idempotent (unique key + set-based reconcile), so a retry or overlap is harmless."""
    run_alerts()


@db_periodic_task(crontab(hour="7", minute="30"))
def morning_digest() -> None:
    send_digests()
