"""Import tasks: a preview (dry run) or an import runs as one Huey task per Job."""

from huey.contrib.djhuey import db_task

from .import_jobs import import_job_run


@db_task()
def import_job_task(job_id: int) -> None:
    import_job_run(job_id)
