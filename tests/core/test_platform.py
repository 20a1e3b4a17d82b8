"""Health check, production settings, login throttling and the Redis job queue."""

import os
import secrets
import subprocess
import sys
import uuid

import pytest
from django.urls import reverse
from huey import RedisHuey

from tests.factories import PASSWORD, UserFactory

CI = os.environ.get("CI") == "true"


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "crm.example.com",
        "GUANXI_VAR_DIR": str(tmp_path),
    }
    for test_only in ("GUANXI_LOCAL_HTTP", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"):
        env.pop(test_only, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_login_is_throttled_with_translated_message(client):
    user = UserFactory(username="victim")
    for _ in range(5):
        client.post(reverse("login"), {"username": "victim", "password": "wrong"})
    response = client.post(
        reverse("login"),
        {"username": "victim", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    # Even the right password is refused while locked out.
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert user.username not in response.content.decode()
    assert "锁定" in response.content.decode()


@pytest.mark.django_db
def test_throttling_keys_on_real_client_behind_proxy(client, settings):
    settings.GUANXI_TRUSTED_PROXIES = 1
    UserFactory(username="target")
    for i in range(5):
        client.post(
            reverse("login"),
            {"username": "target", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i + 10}",
            REMOTE_ADDR="10.0.0.1",
        )
    # Five different real clients failed once each: a sixth client is not locked out.
    response = client.post(
        reverse("login"),
        {"username": "target", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 302


def _redis_url() -> str:
    return os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def test_redis_job_queue_round_trip():
    import redis

    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if CI:
            pytest.fail(f"Redis is required under CI=true and is not reachable at {url}")
        pytest.skip(f"Redis not reachable at {url}")
    huey = RedisHuey(name=f"guanxi-test-{uuid.uuid4().hex}", url=url)

    @huey.task()
    def add(a, b):
        return a + b

    try:
        result = add(2, 3)
        task = huey.dequeue()
        assert task is not None
        huey.execute(task)
        assert result.get() == 5
    finally:
        huey.storage.flush_all()


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # no proxy: the header is the client's own words
        (1, "203.0.113.10", "203.0.113.10"),
        (1, "6.6.6.6, 203.0.113.10", "203.0.113.10"),  # spoofed left part ignored
        (2, "6.6.6.6, 203.0.113.10, 10.0.0.2", "203.0.113.10"),
        (2, "", "10.0.0.1"),  # fewer hops than configured: the left-most known one
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, trusted, forwarded, expected):
    from django.test import RequestFactory

    from guanxi.core.net import client_ip

    settings.GUANXI_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == expected


def test_collectstatic_builds_the_production_manifest(tmp_path):
    """make run serves hashed, compressed files: every referenced asset must resolve."""
    env = {**os.environ, "GUANXI_VAR_DIR": str(tmp_path), "DEBUG": "false"}
    env.pop("GUANXI_PLAIN_STATIC", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
