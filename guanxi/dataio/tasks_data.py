"""Export and backup tasks (Huey)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

__all__ = ["daily_backup", "export_task"]
log = logging.getLogger(__name__)


@db_task()
def export_task(job_id: int) -> None:
    """Run a queued export job (rows chosen now, for the job's user)."""
    from .exports import export_job_run
    from .models import Job, JobStatus

    job = Job.objects.select_related("user").filter(pk=job_id, status=JobStatus.QUEUED).first()
    if job is not None:
        export_job_run(job)


@db_periodic_task(crontab(hour="1", minute="45"))
def daily_backup() -> None:
    """A consistent snapshot into BACKUP_DIR, then drop those older than BACKUP_KEEP_DAYS."""
    from .backup import backup_scheduled

    path, removed = backup_scheduled()
    log.info("backup written to %s; %d old backup(s) removed", path, len(removed))
