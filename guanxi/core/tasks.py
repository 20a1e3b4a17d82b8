"""Housekeeping jobs run by the Huey worker."""

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="17"))
def clear_expired_sessions() -> None:
    """Idempotent: deleting already-expired sessions twice changes nothing."""
    call_command("clearsessions")
