"""Inbox, badge, mark read / dismiss, preferences, digest and API, with the personas."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from guanxi.alerts.digest import send_digests
from guanxi.alerts.models import Alert, AlertReceipt, NotificationPreference, Rule
from guanxi.alerts.selectors import unread_count
from guanxi.alerts.services import preference_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(world):
    mine = Alert.objects.create(
        customer=world.customer, rule=Rule.DORMANT, cause_key="2025-01-01", opened_at=timezone.now()
    )
    theirs = Alert.objects.create(
        customer=world.other_customer,
        rule=Rule.PROFILE_STALE,
        cause_key="2025-01-01",
        opened_at=timezone.now(),
    )
    for u in (world.owner, world.manager, world.director, world.outsider, world.teammate):
        u.email = f"{u.username}@example.com"
        u.save()
    return mine, theirs


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("owner", {"mine"}),
        ("teammate", set()),
        ("outsider", {"theirs"}),
        ("manager", {"mine"}),
        ("other_manager", {"theirs"}),
        ("director", {"mine", "theirs"}),
    ],
)
def test_inbox_and_api_follow_the_visibility_rule(world, alerts, client, persona, sees):
    mine, theirs = alerts
    names = {mine.pk: "mine", theirs.pk: "theirs"}
    client.force_login(getattr(world, persona))
    page = client.get(reverse("alerts:inbox")).content.decode()
    assert ("杭州青山机械" in page) == ("mine" in sees)
    assert ("深圳蓝海电子" in page) == ("theirs" in sees)
    rows = client.get(reverse("alert-list")).json()["results"]
    assert {names[r["id"]] for r in rows} == sees
    assert unread_count(user=getattr(world, persona)) == len(sees)


def test_mark_read_and_dismiss(world, alerts, client):
    mine, _ = alerts
    client.force_login(world.owner)
    assert b">1<" in client.get(reverse("alerts:badge")).content
    response = client.post(reverse("alerts:read", args=[mine.pk]))
    assert response.status_code == 302
    assert AlertReceipt.objects.get(user=world.owner, alert=mine).read_at is not None
    assert unread_count(user=world.owner) == 0
    assert unread_count(user=world.manager) == 1  # read state is per user
    assert client.get(reverse("alerts:badge")).content.strip() == b""
    client.post(reverse("alerts:dismiss", args=[mine.pk]))
    assert "杭州青山机械" not in client.get(reverse("alerts:inbox")).content.decode()
    assert client.get(reverse("alerts:read", args=[mine.pk])).status_code == 405
    # someone else's alert: 404, nothing written
    client.force_login(world.teammate)
    assert client.post(reverse("alerts:read", args=[mine.pk])).status_code == 404
    assert not AlertReceipt.objects.filter(user=world.teammate).exists()


def test_inbox_filters(world, alerts, client):
    mine, _ = alerts
    client.force_login(world.director)
    page = client.get(reverse("alerts:inbox"), {"rule": Rule.PROFILE_STALE}).content.decode()
    assert "深圳蓝海电子" in page and "杭州青山机械" not in page
    Alert.objects.filter(pk=mine.pk).update(status="closed", closed_at=timezone.now())
    assert "杭州青山机械" not in client.get(reverse("alerts:inbox")).content.decode()
    closed = client.get(reverse("alerts:inbox"), {"status": "closed"}).content.decode()
    assert "杭州青山机械" in closed and "深圳蓝海电子" not in closed


def test_api_filter_retrieve_and_read(world, alerts, client):
    mine, theirs = alerts
    client.force_login(world.director)
    rows = client.get(reverse("alert-list"), {"rule": Rule.DORMANT}).json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert client.get(reverse("alert-list"), {"status": "closed"}).json()["results"] == []
    client.force_login(world.owner)
    data = client.get(reverse("alert-detail", args=[mine.pk])).json()
    assert data["customer"] == world.customer.pk and data["is_read"] is False
    assert client.get(reverse("alert-detail", args=[theirs.pk])).status_code == 404
    data = client.post(reverse("alert-read", args=[mine.pk])).json()
    assert data["is_read"] is True
    assert client.post(reverse("alert-read", args=[theirs.pk])).status_code == 404


def test_preferences_page_and_muted_rules(world, alerts, client):
    client.force_login(world.owner)
    assert client.get(reverse("alerts:preferences")).status_code == 200
    response = client.post(
        reverse("alerts:preferences"), {"rules": [Rule.PROFILE_STALE, Rule.REPURCHASE_DUE]}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=world.owner)
    assert pref.digest_enabled is False
    assert Rule.DORMANT in pref.muted_rules and Rule.PROFILE_STALE not in pref.muted_rules
    assert unread_count(user=world.owner) == 0  # the dormant alert is muted


def test_digest_lists_new_alerts_once_and_respects_preferences(world, alerts):
    preference_update(user=world.director, digest_enabled=False, muted_rules=[])
    preference_update(user=world.outsider, digest_enabled=True, muted_rules=[Rule.PROFILE_STALE])
    result = send_digests()
    by_user = {m.to[0]: m for m in mail.outbox}
    assert set(by_user) == {"rep_a1@example.com", "manager_a@example.com"}
    body = by_user["rep_a1@example.com"].body
    assert "杭州青山机械制造有限公司" in body and "深圳蓝海电子" not in body
    assert str(Rule.DORMANT.label) in body or "休眠" in body
    assert result.sent == 2
    # nothing new: a second run sends nothing
    mail.outbox.clear()
    send_digests()
    assert mail.outbox == []


def test_top_bar_loads_the_unread_badge(world, alerts, client):
    client.force_login(world.owner)
    page = client.get(reverse("customers:list")).content.decode()
    assert reverse("alerts:badge") in page and reverse("alerts:inbox") in page


def test_huey_tasks_run_the_job_and_the_digest(world, alerts):
    from guanxi.alerts import tasks

    tasks.morning_digest.call_local()
    assert {m.to[0] for m in mail.outbox} >= {"rep_a1@example.com"}
    # the hand-made alerts have no real cause (new customers, fresh profiles): closed
    tasks.hourly_alerts.call_local()
    assert not Alert.objects.filter(status="open").exists()
