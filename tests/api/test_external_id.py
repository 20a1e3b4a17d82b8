"""The external ID (the import key) over the API: set, trimmed, cleared, unique."""

import pytest

from guanxi.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _version(pk: int) -> int:
    return Customer.objects.get(pk=pk).version


def test_api_sets_clears_and_refuses_a_taken_external_id(api_as, world):
    api = api_as(world.owner)
    url = f"customers/{world.customer.pk}/"
    CustomerFactory(owner=world.outsider, external_id="ERP-7")
    taken = api.patch(url, {"external_id": "ERP-7", "version": _version(world.customer.pk)})
    assert taken.status_code == 400
    assert "external_id" in taken.json()
    ok = api.patch(url, {"external_id": " ERP-8 ", "version": _version(world.customer.pk)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["external_id"] == "ERP-8"
    cleared = api.patch(url, {"external_id": "", "version": _version(world.customer.pk)})
    assert cleared.status_code == 200
    assert Customer.objects.get(pk=world.customer.pk).external_id is None
