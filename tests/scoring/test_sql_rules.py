"""Every condition a points rule may use gives the same answer in SQL (sqlscore.py) as
in the pure rules: a standard with one lead rule per (field, op) pair, scored by the
full run, against the pure rules on the independently computed facts."""

import datetime as dt
from decimal import Decimal

import pytest

from guanxi.customers.models import Customer
from guanxi.scoring import rules, services
from guanxi.scoring.facts_types import RULE_FIELDS, RULE_OPS
from guanxi.scoring.models import ClassificationStandard, CustomerScore
from guanxi.scoring.population import compute_cutoffs
from guanxi.scoring.recompute import recompute_all
from guanxi.scoring.standards import default_config, parse_standard, validate_config
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    UserFactory,
)

from .reference import reference_facts

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
SAMPLES = {  # a target per kind: one that some customers meet and others do not
    "str": {"industry": "manufacturing", "size_band": "20-99", "source": "exhibition",
            "stage": "won", "urgency": "high", "potential_class": "A",
            "contract_status": "none", "payment_method": "wire"},
    "int": 2,
    "money": 1500,
}  # fmt: skip


def _target(field: str, kind: str, op: str):
    base = SAMPLES[kind][field] if kind == "str" else SAMPLES[kind]
    if op in ("in", "not_in"):
        return [base] if kind == "str" else [base, 7]
    return base


def _rules() -> list[dict]:
    out = []
    for field, (kind, _getter) in sorted(RULE_FIELDS.items()):
        for op, kinds in sorted(RULE_OPS.items()):
            if kind not in kinds:
                continue
            rule = {"field": field, "op": op, "points": 1, "label": f"{field} {op}"}
            if not op.startswith("is_"):
                rule["value"] = _target(field, kind, op)
            out.append(rule)
    return out


def test_every_rule_condition_agrees_with_the_pure_rule():
    config = default_config()
    config["lead"]["rules"] = _rules()
    config["lead"]["qualified_min"] = 1
    config["lead"]["grades"] = [
        {"code": "high_potential", "min": 2},
        {"code": "ordinary", "min": 1},
        {"code": "nurture", "min": 0},
    ]
    assert not validate_config(config)
    ClassificationStandard.objects.update(is_active=False)
    ClassificationStandard.objects.create(version=77, name="rules", config=config, is_active=True)
    rep = UserFactory()
    variants = [
        {},
        {"industry": "manufacturing", "stage": "won", "satisfaction": 2, "budget_max": 5},
        {"size_band": "20-99", "urgency": "high", "potential_class": "A", "satisfaction": 5},
        {"source": "exhibition", "is_strategic": True, "satisfaction": 1},
    ]
    created = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    for i, fields in enumerate(variants * 3):
        c = CustomerFactory(owner=rep, **fields)
        Customer.objects.filter(pk=c.pk).update(created_at=created)
        for k in range(i % 4):  # 0..3 orders, 0..3 contacts and interactions
            OrderFactory(customer=c, ordered_on=AS_OF - dt.timedelta(days=40 * k + i),
                         amount=Decimal(700 * (k + 1)))  # fmt: skip
            ContactFactory(customer=c, is_key_person=k == 1)
            InteractionFactory(customer=c, occurred_at=created + dt.timedelta(days=400 + k))
    recompute_all(as_of=AS_OF)
    std = parse_standard(services.standard_ensure_active())
    facts = reference_facts(AS_OF, std)
    cut = compute_cutoffs(facts, std)
    stored = dict(CustomerScore.objects.values_list("customer_id", "lead_score"))
    matched = 0
    for f in facts:
        want = rules.lead(f, std)[0]
        assert stored[f.customer_id] == want, f
        matched += want
    assert len(facts) == 12
    assert matched > 3 * len(facts)  # many conditions hold for each customer: a real check
    assert {rules.score(f, std, cut).lead_score for f in facts} == set(stored.values())
