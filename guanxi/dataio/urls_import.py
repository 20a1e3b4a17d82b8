"""Import routes (upload, mapping, preview, run)."""

urlpatterns: list = []
