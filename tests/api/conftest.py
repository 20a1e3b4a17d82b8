"""API tests talk real HTTP to pytest-django's live server with `requests`.

The live server runs in another thread with its own database connection, so these
tests need `django_db(transaction=True)`; data is made with factories in the test.
"""

from collections.abc import Callable, Iterator

import pytest
import requests
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from guanxi.accounts.models import User


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    # The token throttle counts in the (process-wide) cache the live server shares.
    cache.clear()
    yield
    cache.clear()


class Api:
    """A requests.Session bound to the live server under /api/v1/."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        # English messages make failures readable; the server default is zh-hans.
        self.session.headers["Accept-Language"] = "en"
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if not path.startswith("/"):
            path = "/api/v1/" + path
        return self.base + path

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kw)

    def post(self, path: str, json=None, **kw) -> requests.Response:
        return self.session.post(self.url(path), json=json, timeout=30, **kw)

    def put(self, path: str, json=None, **kw) -> requests.Response:
        return self.session.put(self.url(path), json=json, timeout=30, **kw)

    def patch(self, path: str, json=None, **kw) -> requests.Response:
        return self.session.patch(self.url(path), json=json, timeout=30, **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.session.delete(self.url(path), timeout=30, **kw)


@pytest.fixture
def anon(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def api_as(live_server) -> Callable[[User], Api]:
    """A client authenticated with a token made directly (the login flow has its
    own tests; going through it here would trip the token throttle)."""

    def _as(user: User) -> Api:
        token, _ = Token.objects.get_or_create(user=user)
        return Api(live_server.url, token.key)

    return _as
