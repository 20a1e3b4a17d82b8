"""Reads: visibility of scores, translated explanations, distribution."""

import pytest
from django.utils import translation

from guanxi.scoring import selectors
from guanxi.scoring.recompute import recompute_all

pytestmark = pytest.mark.django_db


def test_scores_follow_the_visibility_rule(world):
    recompute_all()
    assert selectors.score_get(user=world.owner, customer_id=world.customer.pk) is not None
    assert selectors.score_get(user=world.manager, customer_id=world.customer.pk) is not None
    assert selectors.score_get(user=world.outsider, customer_id=world.customer.pk) is None
    assert selectors.visible_scores(user=world.director).count() == 2
    assert selectors.visible_scores(user=world.teammate).count() == 0
    assert selectors.score_history(user=world.outsider, customer_id=world.customer.pk) == []


def test_every_score_is_explained_in_the_reader_language(world):
    recompute_all()
    score = selectors.score_get(user=world.owner, customer_id=world.customer.pk)
    with translation.override("en"):
        text = selectors.score_explanations(score=score)
    assert set(text) >= {"value_tier", "rfm_segment", "health_grade", "lead_grade", "lifecycle"}
    assert text["rfm_segment"][0].startswith("R=")
    assert "industry match: +3" in text["lead_grade"]
    assert all(line and "%(" not in line for lines in text.values() for line in lines)


def test_tier_distribution_counts_and_shares(world):
    recompute_all()
    rows = selectors.tier_distribution(user=world.director, dimension="lifecycle")
    assert sum(r["count"] for r in rows) == 2
    assert sum(r["share"] for r in rows) == pytest.approx(100)
    with pytest.raises(ValueError):
        selectors.tier_distribution(user=world.director, dimension="shoe_size")
