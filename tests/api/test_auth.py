import pytest
from axes.models import AccessAttempt
from django.conf import settings

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_token_login_then_token_auth(anon):
    user = UserFactory(username="rep_a1")
    r = anon.post("auth/token/", {"username": "rep_a1", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    anon.session.headers["Authorization"] = f"Token {token}"
    me = anon.get("users/me/")
    assert me.status_code == 200
    assert me.json()["id"] == user.pk
    # Same token on the next login; last_login stamped like an interactive login.
    again = anon.post("auth/token/", {"username": "rep_a1", "password": PASSWORD})
    assert again.json()["token"] == token
    user.refresh_from_db()
    assert user.last_login is not None


def test_wrong_password_is_400_with_a_message(anon):
    UserFactory(username="rep_a1")
    r = anon.post("auth/token/", {"username": "rep_a1", "password": "wrong"})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["non_field_errors"]
    assert "token" not in r.json()
    # axes counted the failure
    assert AccessAttempt.objects.filter(username="rep_a1").get().failures_since_start == 1


def test_missing_fields_are_field_errors(anon):
    r = anon.post("auth/token/", {})
    assert r.status_code == 400
    assert set(r.json()) == {"username", "password"}


def test_inactive_user_gets_no_token(anon):
    UserFactory(username="gone", is_active=False)
    r = anon.post("auth/token/", {"username": "gone", "password": PASSWORD})
    assert r.status_code == 400


def test_lockout_after_repeated_failures_answers_429_json(anon):
    UserFactory(username="rep_a1")
    limit = settings.AXES_FAILURE_LIMIT
    codes = [
        anon.post("auth/token/", {"username": "rep_a1", "password": f"bad{i}"}).status_code
        for i in range(limit - 1)
    ]
    assert codes == [400] * (limit - 1)
    locked = anon.post("auth/token/", {"username": "rep_a1", "password": "bad-last"})
    assert locked.status_code == 429
    assert locked.headers["Content-Type"].startswith("application/json")
    assert "locked" in locked.json()["detail"]
    assert int(locked.headers["Retry-After"]) > 0
    # Even the right password is refused while locked out.
    right = anon.post("auth/token/", {"username": "rep_a1", "password": PASSWORD})
    assert right.status_code == 429
    assert "token" not in right.json()


def test_success_resets_the_failure_count(anon):
    UserFactory(username="rep_a1")
    anon.post("auth/token/", {"username": "rep_a1", "password": "bad"})
    assert anon.post("auth/token/", {"username": "rep_a1", "password": PASSWORD}).ok
    assert not AccessAttempt.objects.filter(username="rep_a1").exists()


def test_token_endpoint_is_throttled(anon):
    # Different usernames so axes never locks; the scoped throttle (10/min) still bites.
    # A fresh X-Forwarded-For each time must not reset the count (no trusted proxy).
    codes = [
        anon.post(
            "auth/token/",
            {"username": f"nobody{i}", "password": "x"},
            headers={"X-Forwarded-For": f"10.0.0.{i}"},
        ).status_code
        for i in range(11)
    ]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


def test_requests_without_credentials_are_401(anon):
    r = anon.get("customers/")
    assert r.status_code == 401
    assert r.json()["detail"]
    bad = anon.get("customers/", headers={"Authorization": "Token not-a-token"})
    assert bad.status_code == 401


def test_session_auth_works_for_the_browser(client, db):
    user = UserFactory()
    client.force_login(user)
    r = client.get("/api/v1/users/me/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    assert r.json()["id"] == user.pk
