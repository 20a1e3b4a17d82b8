"""Manager-side pages: monitoring and the daily activity report."""

from django.urls import path

from . import views_manager as views

urlpatterns = [
    path("monitoring/", views.monitoring_page, name="monitoring"),
    path("monitoring/customers/", views.monitoring_customers, name="monitoring_customers"),
    path("monitoring/targets/", views.monitoring_targets, name="monitoring_targets"),
    path("activity/", views.activity_page, name="activity"),
    path("activity/export/", views.activity_export, name="activity_export"),
]
