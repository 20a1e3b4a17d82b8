"""Export, backup, audit and personal-data routes."""

urlpatterns: list = []
