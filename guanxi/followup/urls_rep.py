"""Rep-side pages: call list, calling mode, cadence rules and calendar."""

urlpatterns: list = []
