from django.urls import path

from . import views, views_reports, views_standards

app_name = "scoring"
urlpatterns = [
    path("standards/", views_standards.standard_list, name="standard_list"),
    path("standards/new/", views_standards.standard_create, name="standard_create"),
    path("standards/<int:pk>/", views_standards.standard_detail, name="standard_detail"),
    path("standards/<int:pk>/edit/", views_standards.standard_edit, name="standard_edit"),
    path("standards/<int:pk>/preview/", views_standards.standard_preview, name="standard_preview"),
    path(
        "standards/<int:pk>/preview/customers/",
        views_standards.standard_preview_customers,
        name="standard_preview_customers",
    ),
    path(
        "standards/<int:pk>/activate/", views_standards.standard_activate, name="standard_activate"
    ),
    path("classification/", views_reports.classification_list, name="classification"),
    path(
        "classification/customers/",
        views_reports.classification_customers,
        name="classification_customers",
    ),
    path(
        "classification/export/",
        views_reports.classification_export,
        name="classification_export",
    ),
    path("migration/", views_reports.migration, name="migration"),
    path("migration/customers/", views_reports.migration_customers, name="migration_customers"),
    path("customers/<int:pk>/maturity/", views.maturity_set, name="maturity_set"),
]
