"""Running a Job: status transitions around a callable, with progress and cancel.

`job_run(job, work)` calls `work(reporter)`; whatever it returns (a JSON-able dict)
becomes `job.result`. The work owns its own transaction, so a failure or cancel
leaves the database as before the job (the work's atomic block rolls back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from .models import Job, JobStatus
from .progress import Cancelled, Reporter, progress_clear

log = logging.getLogger(__name__)


def job_create(*, user, kind: str, title: str = "", params: dict | None = None, **fields) -> Job:
    return Job.objects.create(user=user, kind=kind, title=title, params=params or {}, **fields)


def job_run(job: Job, work: Callable[[Reporter], dict[str, Any]], *, total: int = 0) -> Job:
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    reporter = Reporter(job.pk, total=total)
    try:
        result = work(reporter)
    except Cancelled:
        _finish(job, JobStatus.CANCELLED, result={})
    except Exception as exc:  # the job row must say what happened, whatever it was
        log.exception("job %s failed", job.pk)
        _finish(job, JobStatus.FAILED, result={}, error=f"{type(exc).__name__}: {exc}")
    else:
        _finish(job, JobStatus.DONE, result=result or {})
    job.refresh_from_db()
    return job


def _finish(job: Job, status: str, *, result: dict, error: str = "") -> None:
    Job.objects.filter(pk=job.pk).update(
        status=status, result=result, error=error, finished_at=timezone.now()
    )
    progress_clear(job.pk)


def jobs_visible_to(user):
    """A user sees their own jobs; admins see all."""
    qs = Job.objects.select_related("user")
    return qs if user.is_superuser else qs.filter(user=user)
