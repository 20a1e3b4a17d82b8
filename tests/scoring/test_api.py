"""/api/v1/scores/ (registered here through a test URLconf)."""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from guanxi.scoring import services
from guanxi.scoring.recompute import recompute_all, recompute_customer
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_is_scoped_and_filterable(world):
    recompute_all()
    owner = client_for(world.owner)
    body = owner.get("/api/v1/scores/").json()
    assert [row["customer"] for row in body["results"]] == [world.customer.pk]
    assert body["results"][0]["maturity"] == "0"
    assert owner.get("/api/v1/scores/?lifecycle=churned").json()["results"] == []
    assert client_for(world.director).get("/api/v1/scores/").json()["results"]
    response = client_for(world.outsider).get(f"/api/v1/scores/{world.customer.pk}/")
    assert response.status_code == 404


def test_detail_explains_and_history_lists_changes(world):
    recompute_all()
    OrderFactory(customer=world.customer, amount="150000")
    recompute_customer(world.customer.pk)
    services.maturity_set(user=world.owner, customer=world.customer, value="3k", reason="意向明确")
    client = client_for(world.owner)
    with translation.override("en"):
        detail = client.get(f"/api/v1/scores/{world.customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        history = client.get(f"/api/v1/scores/{world.customer.pk}/history/").json()
    assert detail.status_code == 200
    data = detail.json()
    assert data["value_tier"] == "core"
    assert any(line.startswith("R=") for line in data["explanations"]["rfm_segment"])
    dims = {row["dimension"] for row in history}
    assert {"value_tier", "maturity"} <= dims


def test_reasons_after_a_nightly_run_are_those_of_its_day(world):
    """A row a nightly run did not rewrite keeps the date of its last change; what the
    API shows is the run's day (the run confirmed it), with day counts of that day."""
    import datetime as dt

    from django.utils import timezone

    from guanxi.customers.models import Customer, Interaction, Need, Order
    from guanxi.scoring.models import CustomerScore
    from tests.factories import CustomerFactory

    day = timezone.localdate()
    for model in (Order, Interaction, Need):  # nothing dated on the runs' days
        model.objects.all().delete()
    for ago in (20, 60, 260, 400):
        OrderFactory(
            customer=CustomerFactory(owner=world.director), ordered_on=day - dt.timedelta(ago)
        )
    OrderFactory(customer=world.customer, ordered_on=day - dt.timedelta(days=150))
    Customer.objects.update(created_at=timezone.now() - dt.timedelta(days=800))
    recompute_all(as_of=day - dt.timedelta(days=1), full=True)
    assert recompute_all(as_of=day).rescored < 6
    assert CustomerScore.objects.get(customer=world.customer).as_of == day - dt.timedelta(days=1)
    client = client_for(world.owner)
    with translation.override("en"):
        data = client.get(f"/api/v1/scores/{world.customer.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
        listed = client.get("/api/v1/scores/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert data["as_of"] == day.isoformat()
    assert [row["as_of"] for row in listed] == [day.isoformat()]
    assert any("last order 150 days ago" in line for line in data["explanations"]["rfm_segment"])
