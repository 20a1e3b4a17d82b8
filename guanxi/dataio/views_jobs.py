"""Job status page, its polled progress partial, cancel and result download."""

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .jobs import jobs_visible_to
from .progress import cancel_request, jobs_dir, progress_read


def _job(request: HttpRequest, pk: int):
    return get_object_or_404(jobs_visible_to(request.user), pk=pk)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = jobs_visible_to(request.user)[:50]
    return render(request, "dataio/job_list.html", {"jobs": jobs})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context = {"job": job, "progress": progress_read(job.pk)}
    template = "dataio/_job_progress.html" if request.htmx else "dataio/job_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if not job.is_finished:
        cancel_request(job.pk)
    return redirect("dataio:job", pk=job.pk)


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    if not job.output_file:
        raise Http404
    base = jobs_dir().resolve()
    path = (base / job.output_file).resolve()
    if base not in path.parents or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=Path(job.output_file).name)
