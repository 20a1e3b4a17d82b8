"""Each rule fires and closes automatically when its cause goes away; dedupe; config."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from guanxi.alerts import services
from guanxi.alerts.job import run_alerts
from guanxi.alerts.models import Alert, AlertRule, PurchaseCycle, Rule
from guanxi.alerts.rules import validate_params
from guanxi.customers.models import Customer, Interaction
from guanxi.scoring.models import CustomerScore
from guanxi.scoring.recompute import recompute_all
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, UserFactory

from .conftest import NOW, TODAY, at, days_ago, make_old

pytestmark = pytest.mark.django_db


def open_alerts(rule: str, customer=None) -> list[Alert]:
    qs = Alert.objects.filter(rule=rule, status="open")
    if customer is not None:
        qs = qs.filter(customer=customer)
    return list(qs)


def only(*rules: str) -> None:
    """Switch off every rule but these, so one test looks at one rule."""
    for key in Rule.values:
        AlertRule.objects.update_or_create(key=key, defaults={"enabled": key in rules})


@pytest.fixture
def customer(db):
    c = CustomerFactory()
    make_old(c)
    return c


def test_churn_no_activity_fires_after_30_days_and_closes_on_new_interaction(clock, customer):
    only(Rule.CHURN_NO_ACTIVITY)
    InteractionFactory(customer=customer, occurred_at=at(days_ago(30)))
    OrderFactory(customer=customer, ordered_on=days_ago(40))
    run_alerts()
    [alert] = open_alerts(Rule.CHURN_NO_ACTIVITY, customer)
    assert alert.ref_on == days_ago(30)
    # 29 days is not enough
    other = CustomerFactory()
    make_old(other)
    InteractionFactory(customer=other, occurred_at=at(days_ago(29)))
    run_alerts()
    assert not open_alerts(Rule.CHURN_NO_ACTIVITY, other)
    # an order counts as activity too
    OrderFactory(customer=customer, ordered_on=TODAY)
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.closed_at is not None
    assert not open_alerts(Rule.CHURN_NO_ACTIVITY, customer)


def test_dormant_after_six_months_without_interaction(clock, customer):
    only(Rule.DORMANT)
    InteractionFactory(customer=customer, occurred_at=at(days_ago(180)))
    OrderFactory(customer=customer, ordered_on=days_ago(5))  # orders do not wake it
    run_alerts()
    [alert] = open_alerts(Rule.DORMANT, customer)
    InteractionFactory(customer=customer, occurred_at=NOW - dt.timedelta(minutes=5))
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_reactivation_of_ordinary_customer_without_order_for_90_days(clock, customer):
    only(Rule.REACTIVATION)
    OrderFactory(customer=customer, ordered_on=days_ago(90))
    recompute_all()
    CustomerScore.objects.filter(customer=customer).update(value_tier="ordinary")
    run_alerts()
    [alert] = open_alerts(Rule.REACTIVATION, customer)
    assert alert.ref_on == days_ago(90)
    CustomerScore.objects.filter(customer=customer).update(value_tier="core")
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_profile_stale_after_30_days(clock, customer):
    only(Rule.PROFILE_STALE)
    Customer.objects.filter(pk=customer.pk).update(profile_updated_at=NOW - dt.timedelta(days=31))
    run_alerts()
    [alert] = open_alerts(Rule.PROFILE_STALE, customer)
    Customer.objects.filter(pk=customer.pk).update(profile_updated_at=NOW)
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_interaction_not_logged_one_hour_after_the_planned_day(clock, customer):
    only(Rule.INTERACTION_NOT_LOGGED)
    plan = InteractionFactory(
        customer=customer, occurred_at=at(days_ago(3)), next_action_due=days_ago(1)
    )
    # 00:30 the day after the due day: still within the hour's grace
    clock.move_to(at(TODAY, 0).replace(minute=30))
    run_alerts()
    assert not open_alerts(Rule.INTERACTION_NOT_LOGGED)
    clock.move_to(at(TODAY, 1).replace(minute=1))
    run_alerts()
    [alert] = open_alerts(Rule.INTERACTION_NOT_LOGGED, customer)
    assert alert.cause_key == f"i{plan.pk}" and alert.ref_on == days_ago(1)
    InteractionFactory(customer=customer, occurred_at=at(TODAY, 1).replace(minute=0))
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_repurchase_due_from_median_interval(clock, customer):
    only(Rule.REPURCHASE_DUE)
    # intervals 30, 31, 90(outlier), 29 -> median of the last 4 = 30.5 -> 30 or 31
    for d in (10 + 29 + 90 + 31 + 30, 10 + 29 + 90 + 31, 10 + 29 + 90, 10 + 29, 10):
        OrderFactory(customer=customer, ordered_on=days_ago(d))
    run_alerts()
    assert not open_alerts(Rule.REPURCHASE_DUE)  # expected in ~20 days, lead is 7
    clock.move_to(at(TODAY + dt.timedelta(days=14)))
    run_alerts()
    [alert] = open_alerts(Rule.REPURCHASE_DUE, customer)
    assert alert.ref_on in (
        days_ago(10) + dt.timedelta(days=30),
        days_ago(10) + dt.timedelta(days=31),
    )
    OrderFactory(customer=customer, ordered_on=TODAY + dt.timedelta(days=14))
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"


def test_repurchase_needs_enough_orders_or_a_hand_set_cycle(clock, customer):
    only(Rule.REPURCHASE_DUE)
    OrderFactory(customer=customer, ordered_on=days_ago(85))
    run_alerts()
    assert not open_alerts(Rule.REPURCHASE_DUE)
    owner = customer.owner
    services.purchase_cycle_set(user=owner, customer_id=customer.pk, days=90)
    assert PurchaseCycle.objects.get(customer=customer).days == 90
    run_alerts()
    [alert] = open_alerts(Rule.REPURCHASE_DUE, customer)
    assert alert.ref_on == days_ago(85) + dt.timedelta(days=90)


def test_churn_frequency_falling_below_its_own_history(clock, customer):
    only(Rule.CHURN_FREQUENCY)
    # one order a month for a year before the window, then one in the last 90 days
    for m in range(4, 16):
        OrderFactory(customer=customer, ordered_on=days_ago(30 * m))
    OrderFactory(customer=customer, ordered_on=days_ago(20))
    run_alerts()
    [alert] = open_alerts(Rule.CHURN_FREQUENCY, customer)
    assert alert.ref_on == days_ago(20)
    for d in (15, 10, 5):
        OrderFactory(customer=customer, ordered_on=days_ago(d))
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"
    assert not open_alerts(Rule.CHURN_FREQUENCY)


def test_job_twice_creates_no_duplicates_and_changes_nothing(clock):
    for n in range(5):
        c = CustomerFactory()
        make_old(c, profile_fresh=False)
        InteractionFactory(
            customer=c, occurred_at=at(days_ago(200 + n)), next_action_due=days_ago(2)
        )
        for d in (300, 240, 180, 120, 60):
            OrderFactory(customer=c, ordered_on=days_ago(d - n))
    first = run_alerts()
    rows = sorted(Alert.objects.values_list("id", "customer_id", "rule", "cause_key", "status"))
    assert sum(r.opened for r in first.rules) == len(rows) > 10
    second = run_alerts()
    assert (
        sorted(Alert.objects.values_list("id", "customer_id", "rule", "cause_key", "status"))
        == rows
    )
    assert all(r.opened == r.closed == r.reopened == 0 for r in second.rules)
    # the command, with --as-of, is the same job
    call_command("alerts", "--as-of", TODAY.isoformat())
    assert Alert.objects.count() == len(rows)


def test_disabling_a_rule_closes_its_alerts_and_reenabling_reopens_them(clock, customer):
    only(Rule.PROFILE_STALE)
    Customer.objects.filter(pk=customer.pk).update(profile_updated_at=None)
    run_alerts()
    [alert] = open_alerts(Rule.PROFILE_STALE)
    only()
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "closed"
    only(Rule.PROFILE_STALE)
    run_alerts()
    alert.refresh_from_db()
    assert alert.status == "open" and Alert.objects.count() == 1


def test_deleted_customers_alerts_close(clock, customer):
    only(Rule.PROFILE_STALE)
    Customer.objects.filter(pk=customer.pk).update(profile_updated_at=None)
    run_alerts()
    Customer.objects.filter(pk=customer.pk).update(deleted_at=NOW)
    run_alerts()
    assert not open_alerts(Rule.PROFILE_STALE)


def test_rule_params_are_validated():
    assert validate_params(Rule.CHURN_NO_ACTIVITY, {}) == {"days": 30}
    assert validate_params(Rule.CHURN_NO_ACTIVITY, {"days": 45}) == {"days": 45}
    for bad in ({"days": 0}, {"days": "30"}, {"days": True}, {"weeks": 2}, []):
        with pytest.raises(ValidationError):
            validate_params(Rule.CHURN_NO_ACTIVITY, bad)
    rule = AlertRule(key=Rule.DORMANT, params={"days": -1})
    with pytest.raises(ValidationError):
        rule.full_clean()


def test_only_directors_configure_rules(db):
    rep = UserFactory()
    director = UserFactory(role="director")
    with pytest.raises(Exception):  # noqa: B017, PT011
        services.alert_rule_update(user=rep, key=Rule.DORMANT, enabled=False, params={})
    rule = services.alert_rule_update(
        user=director, key=Rule.DORMANT, enabled=True, params={"days": 90}
    )
    assert rule.params == {"days": 90}
    assert AlertRule.objects.get(key=Rule.DORMANT).params == {"days": 90}


def test_configured_threshold_is_used(clock, customer):
    only(Rule.DORMANT)
    AlertRule.objects.filter(key=Rule.DORMANT).update(params={"days": 60})
    InteractionFactory(customer=customer, occurred_at=at(days_ago(61)))
    run_alerts()
    assert open_alerts(Rule.DORMANT, customer)
    assert Interaction.objects.count() == 1
