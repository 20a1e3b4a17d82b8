"""/api/v1/standards/ (read for all, write for directors/admins) and scores in /customers/."""

import pytest
from django.urls import reverse

from guanxi.scoring.models import ClassificationStandard
from guanxi.scoring.recompute import recompute_all
from guanxi.scoring.services import standard_ensure_active
from guanxi.scoring.standards import default_config

pytestmark = pytest.mark.django_db


def _post(client, url, data):
    return client.post(url, data=data, content_type="application/json")


def test_everyone_reads_only_directors_write(world, client):
    active = standard_ensure_active()
    client.force_login(world.owner)
    listing = client.get(reverse("standard-list")).json()["results"]
    assert [row["version"] for row in listing] == [active.version]
    before = ClassificationStandard.objects.count()
    denied = _post(client, reverse("standard-list"), {"name": "x", "config": default_config()})
    assert denied.status_code == 403
    assert _post(client, reverse("standard-activate", args=[active.pk]), {}).status_code == 403
    assert client.get(reverse("standard-impact", args=[active.pk])).status_code == 403
    assert ClassificationStandard.objects.count() == before


def test_director_drafts_validates_previews_and_activates(world, client):
    old = standard_ensure_active()
    recompute_all()
    client.force_login(world.director)
    bad = default_config()
    bad["health"]["weights"]["sales"] = 40  # weights now sum to 110
    refused = _post(client, reverse("standard-list"), {"name": "坏标准", "config": bad})
    assert refused.status_code == 400
    assert "100" in str(refused.json())
    assert not ClassificationStandard.objects.filter(name="坏标准").exists()

    config = default_config()
    config["value_tier"] = old.config["value_tier"]
    created = _post(client, reverse("standard-list"), {"name": "2027 上半年", "config": config})
    assert created.status_code == 201, created.json()
    draft = ClassificationStandard.objects.get(pk=created.json()["id"])
    assert not draft.is_active and draft.version == old.version + 1

    impact = client.get(reverse("standard-impact", args=[draft.pk]))
    assert impact.status_code == 200
    assert impact.json()["candidate_version"] == draft.version

    activated = _post(client, reverse("standard-activate", args=[draft.pk]), {})
    assert activated.status_code == 200 and activated.json()["is_active"] is True
    old.refresh_from_db()
    assert old.is_active is False
    frozen = client.patch(
        reverse("standard-detail", args=[draft.pk]),
        data={"name": "改名"},
        content_type="application/json",
    )
    assert frozen.status_code == 400


def test_customer_resource_embeds_scores_and_maturity(world, client):
    recompute_all()
    client.force_login(world.owner)
    body = client.get(reverse("customer-detail", args=[world.customer.pk])).json()
    assert body["scores"]["value_tier"]
    assert body["scores"]["health_grade"] in {"healthy", "sub_healthy", "at_risk", ""}
    assert set(body["scores"]) >= {"r", "f", "m", "rfm_segment", "lifecycle", "credit_rating"}
    assert "maturity" in body
