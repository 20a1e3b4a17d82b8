"""Warning-rule settings page, hand-set purchase cycle page, inbox pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from guanxi.alerts.job import run_alerts
from guanxi.alerts.models import Alert, AlertRule, PurchaseCycle, Rule
from guanxi.alerts.purchase import learned_cycle
from tests.factories import OrderFactory

from .conftest import TODAY, days_ago, make_old

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read English labels; the product default is zh-Hans."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def _stored() -> list:
    return list(AlertRule.objects.order_by("key").values_list("key", "enabled", "params"))


def test_rules_page_is_read_only_for_reps(client, world):
    before = _stored()
    client.force_login(world.owner)
    page = client.get(reverse("alerts:rules"))
    assert page.status_code == 200
    assert "Remind this many days ahead" in page.content.decode()
    assert b"card-footer" not in page.content  # no save buttons
    assert b"disabled" in page.content
    response = client.post(
        reverse("alerts:rules"), {"rule": Rule.DORMANT, "dormant-enabled": "", "dormant-days": 10}
    )
    assert response.status_code == 403
    assert _stored() == before


def test_director_changes_a_rule(client, world):
    client.force_login(world.director)
    response = client.post(
        reverse("alerts:rules"), {"rule": Rule.DORMANT, "dormant-enabled": "", "dormant-days": 120}
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get(key=Rule.DORMANT)
    assert rule.enabled is False
    assert rule.params == {"days": 120}


def test_out_of_range_threshold_names_the_field_and_stores_nothing(client, world):
    before = _stored()
    client.force_login(world.admin)
    response = client.post(
        reverse("alerts:rules"),
        {"rule": Rule.DORMANT, "dormant-enabled": "on", "dormant-days": 0},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "is-invalid" in html
    assert "greater than or equal to 1" in html
    assert _stored() == before


def test_owner_sets_and_clears_a_purchase_cycle(client, world):
    url = reverse("alerts:purchase_cycle", args=[world.customer.pk])
    client.force_login(world.owner)
    assert client.get(url).status_code == 200
    assert client.post(url, {"days": "45"}).status_code == 302
    assert PurchaseCycle.objects.get(customer=world.customer).days == 45
    assert 'id="hand-cycle">45' in client.get(url).content.decode()
    client.post(url, {"days": ""})
    assert not PurchaseCycle.objects.filter(customer=world.customer).exists()
    assert client.post(url, {"days": "0"}).status_code == 200  # refused, form shown again
    assert not PurchaseCycle.objects.exists()


@pytest.mark.parametrize("persona", ["teammate", "outsider", "other_manager"])
def test_purchase_cycle_of_another_book_is_404(client, world, persona):
    url = reverse("alerts:purchase_cycle", args=[world.customer.pk])
    client.force_login(getattr(world, persona))
    assert client.get(url).status_code == 404
    assert client.post(url, {"days": "10"}).status_code == 404
    assert not PurchaseCycle.objects.exists()


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=400), min_size=0, max_size=12),
    k=st.integers(min_value=1, max_value=8),
    m=st.integers(min_value=2, max_value=8),
)
def test_learned_cycle_is_the_median_of_the_latest_gaps(gaps, k, m):
    days = [dt.date(2020, 1, 1)]
    for g in gaps:
        days.append(days[-1] + dt.timedelta(days=g))
    got = learned_cycle(days, last_intervals=k, min_orders=m)
    latest = sorted(gaps[-k:]) if gaps else []
    if not latest or len(latest) < m - 1:
        assert got is None
    else:
        n = len(latest)
        twice = latest[(n - 1) // 2] + latest[n // 2]
        assert got == (twice + 1) // 2  # half rounds up, as SQL ROUND does on positives


def test_page_shows_the_cycle_the_repurchase_rule_uses(client, world):
    """The learned cycle on the page equals the one the SQL rule derives its reminder from."""
    import time_machine

    from .conftest import NOW

    customer = world.customer
    make_old(customer)
    for d in (10 + 29 + 90 + 31 + 30, 10 + 29 + 90 + 31, 10 + 29 + 90, 10 + 29, 10):
        OrderFactory(customer=customer, ordered_on=days_ago(d))
    with time_machine.travel(NOW + dt.timedelta(days=18), tick=False):
        for key in Rule.values:
            AlertRule.objects.update_or_create(
                key=key, defaults={"enabled": key == Rule.REPURCHASE_DUE}
            )
        run_alerts()
        alert = Alert.objects.get(customer=customer, rule=Rule.REPURCHASE_DUE)
        client.force_login(world.owner)
        html = client.get(reverse("alerts:purchase_cycle", args=[customer.pk])).content.decode()
    last_order = max(
        o.ordered_on for o in customer.orders.all() if o.ordered_on <= TODAY
    )  # the world's own order may be newer; the rule uses the latest order day
    cycle = (alert.ref_on - last_order).days
    assert f'id="learned-cycle">{cycle} days' in html


def test_inbox_pages_with_a_cursor(client, world):
    now = timezone.now()
    Alert.objects.bulk_create(
        Alert(
            customer=world.customer,
            rule=Rule.DORMANT,
            cause_key=f"k{i}",
            opened_at=now - dt.timedelta(minutes=i),
        )
        for i in range(60)
    )
    client.force_login(world.owner)
    first = client.get(reverse("alerts:inbox"))
    assert len(first.context["alerts"]) == 50
    cursor = first.context["page"].next_cursor
    assert cursor
    second = client.get(reverse("alerts:inbox"), {"cursor": cursor})
    assert len(second.context["alerts"]) == 10
    seen = {a.pk for a in first.context["alerts"]} | {a.pk for a in second.context["alerts"]}
    assert len(seen) == 60
    assert second.context["page"].next_cursor is None


def test_customer_page_links_to_the_purchase_cycle(client, world):
    client.force_login(world.owner)
    html = client.get(reverse("customers:detail", args=[world.customer.pk])).content.decode()
    assert reverse("alerts:purchase_cycle", args=[world.customer.pk]) in html
