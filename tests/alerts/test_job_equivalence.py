"""The job's set-based rules against the definitions of docs/alerts.md written
plainly in Python, on random order and interaction histories."""

import datetime as dt
import math

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.alerts.job import run_alerts
from guanxi.alerts.models import Alert, AlertRule, PurchaseCycle, Rule
from guanxi.alerts.rules import validate_params
from guanxi.customers.models import Customer
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, UserFactory

from .conftest import TODAY, at, make_old

pytestmark = pytest.mark.django_db


def only(*rules: str) -> None:
    for key in Rule.values:
        AlertRule.objects.update_or_create(key=key, defaults={"enabled": key in rules})


def open_causes(rule: str) -> set[tuple[int, str]]:
    return set(
        Alert.objects.filter(rule=rule, status="open").values_list("customer_id", "cause_key")
    )


def learned_cycle(days: list[dt.date], k: int, m: int) -> int | None:
    """Median of the last k intervals between distinct order days (even count: the
    rounded mean of the two middle values), with at least m distinct order days."""
    ds = sorted(set(days))
    gaps = [(b - a).days for a, b in zip(ds, ds[1:], strict=False)][-k:] if len(ds) > 1 else []
    if not gaps or len(gaps) < m - 1:
        return None
    gaps.sort()
    n = len(gaps)
    if n % 2:
        return gaps[n // 2]
    return math.floor((gaps[n // 2 - 1] + gaps[n // 2]) / 2 + 0.5)


history = st.fixed_dictionaries(
    {
        "orders": st.lists(st.integers(-400, 3), max_size=9),  # days from TODAY (some future)
        "interactions": st.lists(st.integers(-400, 0), max_size=3),
        "hand": st.one_of(st.none(), st.integers(1, 120)),
        "lost": st.booleans(),
    }
)


@pytest.fixture
def rep(db):
    return UserFactory()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    population=st.lists(history, max_size=6),
    last_intervals=st.integers(1, 6),
    min_orders=st.integers(2, 5),
    lead_days=st.integers(0, 30),
    freq=st.tuples(
        st.integers(7, 120), st.integers(30, 300), st.integers(1, 100), st.integers(1, 4)
    ),
)
def test_repurchase_and_activity_rules_match_the_definitions(
    clock, rep, population, last_intervals, min_orders, lead_days, freq
):
    with transaction.atomic():
        only(Rule.REPURCHASE_DUE, Rule.CHURN_NO_ACTIVITY, Rule.DORMANT, Rule.CHURN_FREQUENCY)
        p = {"last_intervals": last_intervals, "min_orders": min_orders, "lead_days": lead_days}
        AlertRule.objects.filter(key=Rule.REPURCHASE_DUE).update(params=p)
        w, h, ratio, min_base = freq
        AlertRule.objects.filter(key=Rule.CHURN_FREQUENCY).update(
            params={
                "window_days": w,
                "history_days": h,
                "ratio_percent": ratio,
                "min_history_orders": min_base,
            }
        )
        want_rep, want_churn, want_dormant, want_freq = set(), set(), set(), set()
        for spec in population:
            c = CustomerFactory(owner=rep, stage="lost" if spec["lost"] else "repurchase")
            make_old(c)
            c = Customer.objects.get(pk=c.pk)
            days = [TODAY + dt.timedelta(days=d) for d in spec["orders"]]
            for day in days:
                OrderFactory(customer=c, ordered_on=day)
            for d in spec["interactions"]:
                InteractionFactory(customer=c, occurred_at=at(TODAY + dt.timedelta(days=d), 9))
            if spec["hand"]:
                PurchaseCycle.objects.create(customer=c, days=spec["hand"])
            if spec["lost"]:
                continue
            past = [d for d in days if d <= TODAY]
            cycle = (
                spec["hand"] if spec["hand"] else learned_cycle(past, last_intervals, min_orders)
            )
            if past and cycle:
                expected = max(past) + dt.timedelta(days=cycle)
                if (
                    expected - dt.timedelta(days=lead_days)
                    <= TODAY
                    <= expected + dt.timedelta(days=cycle)
                ):
                    want_rep.add((c.pk, expected.isoformat()))
            created = c.created_at.astimezone(at(TODAY).tzinfo).date()
            last_i = max(
                (TODAY + dt.timedelta(days=d) for d in spec["interactions"]), default=created
            )
            last = max(last_i, max(past, default=created))
            if last <= TODAY - dt.timedelta(days=30):
                want_churn.add((c.pk, last.isoformat()))
            if last_i <= TODAY - dt.timedelta(days=180):
                want_dormant.add((c.pk, last_i.isoformat()))
            # distinct order days in (D - w, D] against the h days before
            start = TODAY - dt.timedelta(days=w)
            recent = len({d for d in past if d > start})
            base = len({d for d in past if start - dt.timedelta(days=h) < d <= start})
            if base >= min_base and recent * h * 100 < ratio * base * w:
                want_freq.add((c.pk, max(past).isoformat()))
        assert validate_params(Rule.REPURCHASE_DUE, p) == p
        run_alerts()
        assert open_causes(Rule.REPURCHASE_DUE) == want_rep
        assert open_causes(Rule.CHURN_NO_ACTIVITY) == want_churn
        assert open_causes(Rule.DORMANT) == want_dormant
        assert open_causes(Rule.CHURN_FREQUENCY) == want_freq
        transaction.set_rollback(True)
