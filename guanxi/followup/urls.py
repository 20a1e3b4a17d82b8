"""/followup/: joins the rep-side and manager-side routes."""

from .urls_manager import urlpatterns as manager_urls
from .urls_rep import urlpatterns as rep_urls

app_name = "followup"
urlpatterns = [*rep_urls, *manager_urls]
