"""Every working morning: refresh next follow-ups, then build the day's call lists."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import selectors
from .calllist import calllists_build
from .recompute import followups_recompute


@db_periodic_task(crontab(hour="6", minute="30"))
def morning_calllists() -> None:
    """Idempotent: rebuilding a day replaces its lists with the same rows; a crash
    rolls back to the lists as they were. Skips non-working days."""
    today = timezone.localdate()
    if not selectors.work_calendar().is_working_day(today):
        return
    followups_recompute(today=today)
    calllists_build(today, trigger="morning")
