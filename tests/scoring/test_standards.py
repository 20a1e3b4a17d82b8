"""Validation of classification standards, and the standard services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from guanxi.scoring import services
from guanxi.scoring.models import ClassificationStandard, ScoreChange
from guanxi.scoring.standards import default_config, validate_config
from tests.factories import OrderFactory


def errors_of(config) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validate_config(config)
    with translation.override("en"):
        return [str(m) for m in err.value.messages]


def test_the_seed_defaults_are_valid():
    validate_config(default_config())


def test_overlapping_bands_are_rejected():
    config = default_config()
    config["health"]["grades"][1]["min"] = 85  # sub-healthy starts where healthy does
    (message,) = errors_of(config)
    assert message.startswith("health.grades: bands overlap or are out of order (85 then 85)")


def test_missing_band_is_rejected():
    config = default_config()
    config["lead"]["grades"][2]["min"] = 2  # scores 0-1 would have no grade
    assert errors_of(config) == [
        "lead.grades: the lowest band must start at 0, otherwise values below 2 have no band."
    ]
    config = default_config()
    del config["value_tier"]["bands"][3]
    assert any(
        "bands must be exactly strategic, core, ordinary, low" in m for m in errors_of(config)
    )


def test_weights_must_sum_to_100():
    config = default_config()
    config["health"]["weights"]["sales"] = 40
    assert errors_of(config) == ["health.weights: weights must sum to 100 (they sum to 110)."]


def test_unknown_field_in_a_lead_rule_is_rejected():
    config = default_config()
    config["lead"]["rules"].append({"field": "shoe_size", "op": "gte", "value": 40, "points": 1})
    (message,) = errors_of(config)
    assert message.startswith("lead.rules[3]: unknown field 'shoe_size'; allowed: ")


def test_negative_threshold_is_rejected():
    config = default_config()
    config["four_class"]["stable"]["min_sales"] = -1
    assert "four_class.stable.min_sales: must not be negative (got -1)." in errors_of(config)
    config = default_config()
    config["rfm"]["recency"]["cutoffs"] = [-5, 60, 90, 180]
    assert errors_of(config) == ["rfm.recency.cutoffs[0]: must not be negative (got -5)."]


def test_other_mistakes_are_named():
    config = default_config()
    config["lead"]["rules"][0]["value"] = ["bakery"]  # not an industry code
    config["lead"]["rules"][1]["op"] = "gte"  # budget_known is true/false
    config["rfm"]["frequency"]["cutoffs"] = [1, 1, 3, 5]
    config["pyramid"]["top_pct"]["major"] = 0.5
    config["abc"]["b_pct"] = 70
    messages = errors_of(config)
    assert "lead.rules[0]: unknown value bakery for industry." in messages
    assert "lead.rules[1]: condition 'gte' cannot be used on budget_known." in messages
    assert any(m.startswith("rfm.frequency: cut-offs must rise strictly") for m in messages)
    assert any(m.startswith("pyramid.top_pct: cumulative shares must rise") for m in messages)
    assert "abc: cumulative shares must rise: A < B <= 100." in messages


def test_messages_are_translatable():
    config = default_config()
    config["health"]["weights"]["sales"] = 40
    with pytest.raises(ValidationError) as err:
        validate_config(config)
    (error,) = err.value.error_list
    assert error.message.__class__.__name__ == "__proxy__"  # gettext_lazy


@pytest.mark.django_db
def test_activating_a_new_standard_retiers_and_records_the_version(world):
    OrderFactory(customer=world.customer, amount="30000")
    from guanxi.scoring.recompute import recompute_all

    recompute_all()
    first = ClassificationStandard.objects.get(is_active=True)
    config = default_config()
    config["value_tier"]["bands"][2]["min_sales"] = 50000  # ordinary now needs 50k
    draft = services.standard_create(user=world.admin, name="H2 review", config=config)
    assert draft.version == first.version + 1 and not draft.is_active
    services.standard_activate(user=world.admin, standard=draft)
    change = ScoreChange.objects.get(customer=world.customer, dimension="value_tier")
    assert (change.from_value, change.to_value, change.cause) == ("ordinary", "low", "standard")
    assert change.standard_version == draft.version
    first.refresh_from_db()
    assert not first.is_active
    with pytest.raises(ValidationError):
        services.standard_update(user=world.admin, standard=draft, config=config)


@pytest.mark.django_db
def test_only_configurers_may_change_standards_and_invalid_ones_are_refused(world):
    with pytest.raises(PermissionDenied):
        services.standard_create(user=world.owner, name="x", config=default_config())
    bad = default_config()
    bad["health"]["weights"]["sales"] = 0
    with pytest.raises(ValidationError):
        services.standard_create(user=world.director, name="x", config=bad)
    assert not ClassificationStandard.objects.filter(name="x").exists()
