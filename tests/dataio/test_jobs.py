"""Job runner (status, progress, cancel, failure) and the job pages' per-user scoping."""

import pytest
from django.urls import reverse

from guanxi.dataio.jobs import job_create, job_run
from guanxi.dataio.models import Job, JobStatus
from guanxi.dataio.progress import Progress, cancel_request, jobs_dir, progress_read

pytestmark = pytest.mark.django_db


def test_job_runs_and_keeps_its_result(world):
    job = job_create(user=world.owner, kind="export", title="t")
    seen = []

    def work(reporter):
        reporter.report(5, force=True, phase="rows")
        seen.append(progress_read(job.pk))
        return {"rows": 5}

    job = job_run(job, work, total=10)
    assert job.status == JobStatus.DONE
    assert job.result == {"rows": 5}
    assert seen[0].done == 5 and seen[0].total == 10 and seen[0].percent == 50
    assert seen[0].phase == "rows"
    assert progress_read(job.pk) == Progress()  # cleared once finished


def test_cancel_rolls_back_the_work(world):
    from django.db import transaction

    from guanxi.customers.models import Customer

    job = job_create(user=world.owner, kind="import")
    before = Customer.objects.count()

    def work(reporter):
        with transaction.atomic():
            Customer.objects.filter(pk=world.customer.pk).update(name="changed")
            cancel_request(job.pk)
            reporter.report(1, force=True)
        return {}

    job = job_run(job, work)
    assert job.status == JobStatus.CANCELLED
    assert Customer.objects.get(pk=world.customer.pk).name == world.customer.name
    assert Customer.objects.count() == before


def test_failure_is_recorded(world):
    job = job_create(user=world.owner, kind="import")

    def work(reporter):
        raise ValueError("bad header")

    job = job_run(job, work)
    assert job.status == JobStatus.FAILED
    assert "bad header" in job.error


def test_job_pages_are_per_user(client, world):
    job = job_create(user=world.owner, kind="export", title="mine")
    out = jobs_dir() / "out.csv"
    out.write_text("a,b\n", encoding="utf-8")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, output_file="out.csv")
    client.force_login(world.owner)
    assert client.get(reverse("dataio:job", args=[job.pk])).status_code == 200
    assert b"mine" in client.get(reverse("dataio:jobs")).content
    response = client.get(reverse("dataio:job_download", args=[job.pk]))
    assert b"".join(response.streaming_content) == b"a,b\n"
    for other in (world.teammate, world.manager, world.outsider):
        client.force_login(other)
        assert client.get(reverse("dataio:job", args=[job.pk])).status_code == 404
        assert client.get(reverse("dataio:job_download", args=[job.pk])).status_code == 404
        assert client.post(reverse("dataio:job_cancel", args=[job.pk])).status_code == 404
        assert b"mine" not in client.get(reverse("dataio:jobs")).content


def test_download_refuses_paths_outside_the_jobs_folder(client, world):
    job = job_create(user=world.owner, kind="export")
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, output_file="../secret.txt")
    client.force_login(world.owner)
    assert client.get(reverse("dataio:job_download", args=[job.pk])).status_code == 404


def test_progress_partial_polls_until_finished(client, world):
    job = job_create(user=world.owner, kind="import")
    client.force_login(world.owner)
    partial = client.get(reverse("dataio:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in partial.content
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE)
    partial = client.get(reverse("dataio:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in partial.content
