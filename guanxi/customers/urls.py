from django.urls import path

from . import views, views_detail

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export/", views.customer_export, name="export"),
    path("reassign/", views.customer_reassign, name="reassign"),
    path("autocomplete/", views.customer_autocomplete, name="autocomplete"),
    path("trash/", views.customer_trash, name="trash"),
    path("<int:pk>/", views_detail.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/restore/", views.customer_restore, name="restore"),
    path(
        "<int:pk>/interactions/new/",
        views_detail.interaction_create,
        name="interaction_create",
    ),
    path("<int:pk>/contacts/new/", views_detail.contact_create, name="contact_create"),
    path("contacts/<int:contact_id>/edit/", views_detail.contact_edit, name="contact_edit"),
    path("<int:pk>/orders/new/", views_detail.order_create, name="order_create"),
    path("<int:pk>/needs/new/", views_detail.need_create, name="need_create"),
    path("needs/<int:need_id>/edit/", views_detail.need_edit, name="need_edit"),
]
