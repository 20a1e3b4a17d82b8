"""Export, backup, audit and personal-data routes."""

from django.urls import path

from . import views_audit, views_export, views_personal

urlpatterns: list = [
    path("export/", views_export.export, name="export"),
    path("audit/", views_audit.audit_list, name="audit"),
    path("audit/<str:model>/<int:pk>/", views_audit.audit_record, name="audit_record"),
    path("personal/", views_personal.personal_search, name="personal_search"),
    path("personal/<int:pk>/", views_personal.personal_detail, name="personal_detail"),
    path("personal/<int:pk>/export/", views_personal.personal_export, name="personal_export"),
    path("personal/<int:pk>/erase/", views_personal.personal_erase, name="personal_erase"),
]
