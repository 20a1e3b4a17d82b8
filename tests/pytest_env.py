"""Loaded with `-p tests.pytest_env` before Django settings are imported."""

import os

# The suite talks plain HTTP to its live servers; production HTTPS has its own test.
os.environ.setdefault("GUANXI_LOCAL_HTTP", "1")
# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Templates resolve {% static %} without a collectstatic manifest in tests.
os.environ.setdefault("GUANXI_PLAIN_STATIC", "1")
