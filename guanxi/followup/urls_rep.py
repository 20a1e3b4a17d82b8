"""Rep-side pages: call list, calling mode, cadence rules, calendar and capacity."""

from django.urls import path

from . import views_cadences, views_calling, views_calllist

urlpatterns: list = [
    path("calllist/", views_calllist.calllist, name="calllist"),
    path("calllist/build/", views_calllist.calllist_build, name="calllist_build"),
    path("calling/", views_calling.calling, name="calling"),
    path("cadences/", views_cadences.cadences, name="cadences"),
    path("cadences/new/", views_cadences.cadence_create, name="cadence_create"),
    path("cadences/<int:pk>/edit/", views_cadences.cadence_edit, name="cadence_edit"),
    path("cadences/<int:pk>/toggle/", views_cadences.cadence_toggle, name="cadence_toggle"),
    path("calendar/", views_cadences.calendar, name="calendar"),
    path("capacity/", views_cadences.capacity, name="capacity"),
]
