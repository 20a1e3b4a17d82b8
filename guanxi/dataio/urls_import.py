"""Import routes (upload, mapping, preview, run)."""

from django.urls import path

from . import views_import

urlpatterns = [
    path("import/", views_import.import_upload, name="import"),
    path("import/<int:pk>/mapping/", views_import.import_mapping, name="import_mapping"),
    path("import/<int:pk>/preview/", views_import.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views_import.import_confirm, name="import_confirm"),
]
