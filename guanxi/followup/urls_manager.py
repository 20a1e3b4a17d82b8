"""Manager-side pages: monitoring and the daily activity report."""

urlpatterns: list = []
