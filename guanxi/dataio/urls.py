"""/data/: imports, exports, backups, audit and personal-data pages.

Each feature keeps its routes in its own module; this file only joins them.
"""

from django.urls import path

from . import views_jobs
from .urls_data import urlpatterns as data_urls
from .urls_import import urlpatterns as import_urls

app_name = "dataio"
urlpatterns = [
    path("jobs/", views_jobs.job_list, name="jobs"),
    path("jobs/<int:pk>/", views_jobs.job_detail, name="job"),
    path("jobs/<int:pk>/cancel/", views_jobs.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/download/", views_jobs.job_download, name="job_download"),
    *import_urls,
    *data_urls,
]
