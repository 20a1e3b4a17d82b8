from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("preferences/", views.preferences, name="preferences"),
    path("rules/", views.rules, name="rules"),
    path("purchase-cycle/<int:customer_pk>/", views.purchase_cycle, name="purchase_cycle"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("<int:pk>/dismiss/", views.dismiss, name="dismiss"),
]
