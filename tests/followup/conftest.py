import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from guanxi.scoring.models import CustomerMaturity
from tests.factories import CustomerFactory, InteractionFactory


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def before_monday():
    """Call-list tests plan Monday 2026-12-07 for a world whose contact and order are
    dated "now" by the factories: "now" is pinned to the Wednesday before, so that
    the last contact lies days before that Monday whatever day the suite runs."""
    with time_machine.travel(at(dt.date(2026, 12, 2)), tick=True):
        yield


@pytest.fixture
def make_customer():
    def _make(owner, maturity: str | None = None, contacted: dt.date | None = None, **kw):
        customer = CustomerFactory(owner=owner, **kw)
        if maturity is not None:
            CustomerMaturity.objects.create(customer=customer, value=maturity, since=timezone.now())
        if contacted is not None:
            InteractionFactory(customer=customer, occurred_at=at(contacted))
        return customer

    return _make


@pytest.fixture(autouse=True)
def _english_messages(client):
    """Assertions below read English messages; the product default is zh-Hans."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
