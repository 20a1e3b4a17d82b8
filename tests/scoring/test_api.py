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
