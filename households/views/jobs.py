"""A job's progress page (polled by htmx while it runs) and its file."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path

from core.files import stored_file_response
from core.jobs import job_source, job_title, jobs_visible_to
from core.models import JobState
from core.permissions import Action
from core.views import township_view


@township_view(Action.VIEW)
def job_detail(request, township, membership, pk):
    job = get_object_or_404(jobs_visible_to(membership).select_related("created_by"), pk=pk)
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "households/job_detail.html"
    context = {
        "job": job,
        "running": job.state in (JobState.QUEUED, JobState.RUNNING),
        "title": job_title(job),
        "source": job_source(job),
    }
    return render(request, template, context)


@township_view(Action.VIEW)
def job_download(request, township, membership, pk):
    job = get_object_or_404(jobs_visible_to(membership), pk=pk, state=JobState.DONE)
    if not job.file:
        raise Http404
    return stored_file_response(job.file, filename=job.filename)  # an attachment, typed by its name


urlpatterns = [
    path("jobs/<int:pk>/", job_detail, name="job-detail"),
    path("jobs/<int:pk>/download/", job_download, name="job-download"),
]
