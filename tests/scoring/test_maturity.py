"""Maturity classes: set by a rep, moved by data and contract events, history kept."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from guanxi.scoring import services
from guanxi.scoring.models import CustomerMaturity, ScoreChange
from guanxi.scoring.recompute import recompute_all
from guanxi.scoring.selectors import maturity_get, score_history
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_unclassified_customers_become_class_0(world):
    recompute_all()
    assert set(CustomerMaturity.objects.values_list("value", flat=True)) == {"0"}
    change = ScoreChange.objects.filter(dimension="maturity", customer=world.customer).get()
    assert (change.from_value, change.to_value, change.cause) == ("", "0", "auto")


def test_rep_sets_key_3_and_the_history_keeps_who_and_why(world):
    services.maturity_set(user=world.owner, customer=world.customer, value="3k", reason="KP 认可")
    services.maturity_set(user=world.owner, customer=world.customer, value="4o", reason="冷淡")
    state = maturity_get(user=world.owner, customer_id=world.customer.pk)
    assert (state.value, state.set_by, state.reason) == ("4o", world.owner, "冷淡")
    with translation.override("en"):
        full = score_history(user=world.owner, customer_id=world.customer.pk)
    history = [h for h in full if h["dimension"] == "maturity"]
    assert [(str(h["from"]), str(h["to"])) for h in history] == [
        ("Key 3 — KP with clear intent", "Ordinary 4 — KP, low recognition"),
        ("-", "Key 3 — KP with clear intent"),
    ]
    assert history[0]["after"] == ["冷淡"] and history[0]["who"] == world.owner


def test_outsider_cannot_set_maturity_and_unknown_classes_are_refused(world):
    with pytest.raises(PermissionDenied):
        services.maturity_set(user=world.outsider, customer=world.customer, value="3", reason="")
    with pytest.raises(ValidationError):
        services.maturity_set(user=world.owner, customer=world.customer, value="9", reason="")
    assert maturity_get(user=world.outsider, customer_id=world.customer.pk) is None


def test_contract_hooks_and_a_broken_promise(world):
    services.maturity_on_contract_sent(customer_id=world.customer.pk)
    assert CustomerMaturity.objects.get(customer=world.customer).value == "2"
    promised = timezone.localdate() + dt.timedelta(days=3)
    services.maturity_on_contract_returned(
        customer_id=world.customer.pk, promised_payment_on=promised
    )
    state = CustomerMaturity.objects.get(customer=world.customer)
    assert (state.value, state.promised_payment_on) == ("1", promised)
    recompute_all()  # promise not yet due: nothing moves
    assert CustomerMaturity.objects.get(customer=world.customer).value == "1"
    recompute_all(as_of=promised + dt.timedelta(days=1))  # due date passed, no payment
    state = CustomerMaturity.objects.get(customer=world.customer)
    assert (state.value, state.promised_payment_on) == ("6", None)
    change = ScoreChange.objects.filter(dimension="maturity", to_value="6").get()
    assert change.cause == "auto"
    assert change.reason["after"] == [["mt_broken", {"date": promised.isoformat()}]]


def test_a_payment_after_the_promise_keeps_the_class(world):
    services.maturity_set(user=world.owner, customer=world.customer, value="1", reason="回传")
    state = CustomerMaturity.objects.get(customer=world.customer)
    assert state.promised_payment_on == timezone.localdate() + dt.timedelta(days=2)  # default
    OrderFactory(customer=world.customer, ordered_on=timezone.localdate())
    recompute_all(as_of=timezone.localdate() + dt.timedelta(days=5))
    assert CustomerMaturity.objects.get(customer=world.customer).value == "1"
