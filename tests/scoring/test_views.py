"""The scoring pages through the Django test client: standards (list, create, edit,
validation, permissions), impact preview and activation, the customer's Scores tab
and maturity picker, the classification list with its charts and Excel export, and
the tier-migration matrix. Every read is checked against the visibility rule."""

import copy
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.customers.models import Customer
from guanxi.scoring import choices, impact, selectors, services
from guanxi.scoring.classification import move_direction
from guanxi.scoring.forms_standard import StandardConfigForm
from guanxi.scoring.models import (
    ClassificationStandard,
    CustomerMaturity,
    CustomerScore,
    ScoreChange,
)
from guanxi.scoring.recompute import recompute_all
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(login):
    """Log in and speak English, so assertions do not depend on the .po file."""

    def _as(user):
        client = login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _as


def url(name, *args):
    return reverse(f"scoring:{name}", args=args)


def buyer(owner, amount, name=None, days_ago=10):
    """A customer of `owner` with one order of `amount` CNY."""
    customer = CustomerFactory(owner=owner, **({"name": name} if name else {}))
    OrderFactory(
        customer=customer,
        amount=Decimal(amount),
        ordered_on=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    return customer


@pytest.fixture
def active(world):
    return services.standard_ensure_active()


def draft_with(user, active_standard, change):
    config = copy.deepcopy(active_standard.config)
    change(config)
    return services.standard_create(user=user, name="draft", config=config)


def lower_core(config):
    config["value_tier"]["bands"][1]["min_sales"] = 50000


def form_data(standard, **overrides):
    """What the browser posts for an untouched structured form, plus `overrides`."""
    form = StandardConfigForm(base=standard.config, initial={"name": standard.name})
    data = {"mode": "form"}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    data.update(overrides)
    return data


# --- standards: list, detail, create, edit ------------------------------------------


def test_list_shows_versions_status_and_review_due(world, as_user, active):
    active.review_due_on = timezone.localdate() - dt.timedelta(days=1)
    active.save()
    draft_with(world.director, active, lower_core)
    page = as_user(world.owner).get(url("standard_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "v1" in text and "v2" in text
    assert "Active" in text and "Draft" in text
    assert "Review due" in text and "half-year review" in text
    assert "New draft" not in text  # reps read only


def test_list_says_how_the_last_run_went(world, as_user, active):
    from guanxi.scoring.recompute import recompute_all

    recompute_all()
    recompute_all()
    text = as_user(world.owner).get(url("standard_list"), HTTP_ACCEPT_LANGUAGE="en")
    text = text.content.decode()
    assert "Nightly: changed customers and crossed thresholds: 0 customers rescored." in text


def test_detail_shows_readable_tables_and_highlights_changes(world, as_user, active):
    draft = draft_with(world.director, active, lower_core)
    text = as_user(world.owner).get(url("standard_detail", draft.pk)).content.decode()
    assert "12-month sales from (CNY)" in text
    assert "50,000" in text and "1,000,000" in text
    assert "Manufacturing" in text  # lead rule value shown with its label
    assert text.count("cell-changed") >= 1
    assert 'name="value_tier__bands__1__min_sales"' not in text  # read-only: no inputs


def test_director_creates_a_draft_from_the_active_standard(world, as_user, active):
    response = as_user(world.director).post(
        url("standard_create"), {"name": "Review H2", "base": active.pk, "notes": "why"}
    )
    draft = ClassificationStandard.objects.get(name="Review H2")
    assert response.status_code == 302
    assert response["Location"] == url("standard_edit", draft.pk)
    assert draft.config == active.config
    assert not draft.is_active and draft.activated_at is None
    assert draft.created_by == world.director


def test_first_draft_starts_from_the_seed_defaults(world, as_user):
    from guanxi.scoring.standards import default_config

    client = as_user(world.director)
    assert client.get(url("standard_create")).status_code == 200
    assert client.post(url("standard_create"), {"name": "First"}).status_code == 302
    assert ClassificationStandard.objects.get(name="First").config == default_config()


def test_structured_form_saves_a_draft(world, as_user, active):
    draft = draft_with(world.director, active, lambda c: None)
    client = as_user(world.director)
    assert client.get(url("standard_edit", draft.pk)).status_code == 200
    data = form_data(
        draft,
        name="Lower core",
        value_tier__bands__1__min_sales="50,000",
        health__weights__sales="35",
        health__weights__interaction="15",
        # a new lead rule in the first blank row
        lead__rules__3__field="is_strategic",
        lead__rules__3__op="is_true",
        lead__rules__3__points="4",
        lead__rules__3__label="strategic",
    )
    response = client.post(url("standard_edit", draft.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.name == "Lower core"
    assert draft.config["value_tier"]["bands"][1]["min_sales"] == 50000
    assert draft.config["health"]["weights"] == {
        "sales": 35,
        "repurchase": 25,
        "satisfaction": 25,
        "interaction": 15,
    }
    assert draft.config["lead"]["rules"][3] == {
        "field": "is_strategic",
        "op": "is_true",
        "points": 4,
        "label": "strategic",
    }
    # untouched values survive the round trip exactly
    for key in ("potential", "rfm", "four_class", "credit", "pyramid", "abc", "lifecycle"):
        assert draft.config[key] == active.config[key], key


def test_seed_rule_labels_read_in_chinese_and_survive_an_untouched_save(world, as_user, active):
    """The seed's rule labels are msgids: shown in the reader's language, and kept as
    msgids when a Chinese form is saved without touching them."""
    draft = draft_with(world.director, active, lambda c: None)
    client = as_user(world.director)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    text = client.get(url("standard_detail", draft.pk), **zh).content.decode()
    assert "行业匹配" in text
    assert not re.search(r">\s*industry match\s*<", text)  # only the raw JSON keeps the msgid
    assert "500–1,999 人、2,000 人以上" in text  # a rule's values, listed the Chinese way
    with translation.override("zh-hans"):
        data = form_data(draft)
    assert data["lead__rules__0__label"] == "行业匹配"
    response = client.post(url("standard_edit", draft.pk), data, **zh)
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.config == active.config


def test_clearing_a_rule_row_removes_the_rule(world, as_user, active):
    draft = draft_with(world.director, active, lambda c: None)
    data = form_data(draft, lead__rules__1__field="")
    assert as_user(world.director).post(url("standard_edit", draft.pk), data).status_code == 302
    draft.refresh_from_db()
    assert [r["field"] for r in draft.config["lead"]["rules"]] == [
        "industry",
        "decision_maker_known",
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"value_tier__bands__1__min_sales": "-5"},
            "value_tier.bands[1].min_sales: must not be negative (got -5).",
        ),
        (
            {"value_tier__bands__1__min_sales": "1000000"},
            "value_tier.bands: bands overlap or are out of order",
        ),
        (
            {"health__grades__2__min": "10"},
            "health.grades: the lowest band must start at 0",
        ),
        (
            {"health__weights__sales": "40"},
            "health.weights: weights must sum to 100 (they sum to 110).",
        ),
        (
            {"potential__weights__need_fit": "10"},
            "potential.weights: weights must sum to 100 (they sum to 70).",
        ),
        (
            {"lead__rules__0__value": "shoes"},
            "lead.rules[0]: unknown value shoes for industry.",
        ),
        (
            {"lead__rules__0__op": "is_true"},
            "lead.rules[0]: condition &#x27;is_true&#x27; cannot be used on industry.",
        ),
        ({"rfm__high_min": "9"}, "rfm.high_min: a score from 1 to 5 is required."),
        ({"lifecycle__dormant_days": "abc"}, "Enter a number."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(world, as_user, active, overrides, message):
    draft = draft_with(world.director, active, lambda c: None)
    before = copy.deepcopy(draft.config)
    response = as_user(world.director).post(
        url("standard_edit", draft.pk), form_data(draft, **overrides)
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert message in text
    assert "is-invalid" in text or "alert-danger py-2" in text
    draft.refresh_from_db()
    active.refresh_from_db()
    assert draft.config == before
    assert active.is_active and selectors.standard_active() == active


def test_json_editor_validates_with_per_path_messages(world, as_user, active):
    draft = draft_with(world.director, active, lambda c: None)
    client = as_user(world.director)
    page = client.get(url("standard_edit", draft.pk) + "?mode=json")
    assert page.status_code == 200 and "&quot;value_tier&quot;" in page.content.decode()

    bad = copy.deepcopy(draft.config)
    bad["lead"]["rules"].append({"field": "shoe_size", "op": "eq", "value": 1, "points": 1})
    bad["health"]["weights"]["sales"] = 31
    response = client.post(
        url("standard_edit", draft.pk),
        {"mode": "json", "name": "x", "config": json.dumps(bad)},
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "lead.rules[3]: unknown field &#x27;shoe_size&#x27;" in text
    assert "health.weights: weights must sum to 100 (they sum to 101)." in text

    broken = client.post(
        url("standard_edit", draft.pk), {"mode": "json", "name": "x", "config": "{"}
    )
    assert broken.status_code == 400 and "This is not valid JSON" in broken.content.decode()
    draft.refresh_from_db()
    assert draft.config == active.config and draft.name == "draft"

    good = copy.deepcopy(draft.config)
    good["abc"]["a_pct"] = 70
    ok = client.post(
        url("standard_edit", draft.pk),
        {"mode": "json", "name": "ABC 70", "config": json.dumps(good)},
    )
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.config["abc"]["a_pct"] == 70 and draft.name == "ABC 70"


def test_an_activated_standard_cannot_be_edited(world, as_user, active):
    client = as_user(world.director)
    response = client.get(url("standard_edit", active.pk))
    assert response.status_code == 302 and response["Location"] == url("standard_detail", active.pk)
    before = copy.deepcopy(active.config)
    client.post(url("standard_edit", active.pk), form_data(active, abc__a_pct="70"))
    active.refresh_from_db()
    assert active.config == before


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_only_directors_and_admins_change_standards(world, as_user, active, persona):
    draft = draft_with(world.director, active, lambda c: None)
    client = as_user(getattr(world, persona))
    assert client.get(url("standard_list")).status_code == 200
    assert client.get(url("standard_detail", draft.pk)).status_code == 200
    assert client.get(url("standard_create")).status_code == 403
    assert client.post(url("standard_create"), {"name": "x", "base": active.pk}).status_code == 403
    assert client.get(url("standard_edit", draft.pk)).status_code == 403
    data = form_data(draft, value_tier__bands__1__min_sales="1")
    assert client.post(url("standard_edit", draft.pk), data).status_code == 403
    assert client.get(url("standard_preview", draft.pk)).status_code == 403
    assert client.post(url("standard_activate", draft.pk)).status_code == 403
    assert ClassificationStandard.objects.count() == 2
    draft.refresh_from_db()
    assert draft.config == active.config and not draft.is_active
    assert selectors.standard_active() == active


def test_admin_may_change_standards(world, as_user, active):
    response = as_user(world.admin).post(url("standard_create"), {"name": "A", "base": active.pk})
    assert response.status_code == 302


# --- impact preview and activation ------------------------------------------------------


@pytest.fixture
def movers(world):
    """Two ordinary buyers (60k, 70k) in two teams: core under a 50k threshold."""
    mine = buyer(world.owner, "60000", name="甲方机械")
    theirs = buyer(world.outsider, "70000", name="乙方电子")
    return mine, theirs


def test_preview_shows_the_moves_of_a_changed_threshold(world, as_user, active, movers):
    recompute_all()
    draft = draft_with(world.director, active, lower_core)
    client = as_user(world.director)
    page = client.get(url("standard_preview", draft.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 customers would move from Ordinary to Core" in text
    result = page.context["impact"]
    assert result.counts["value_tier"][("ordinary", "core")] == 2
    assert result.changed_customers == 2
    assert [t["dimension"] for t in page.context["tables"]][0] == "value_tier"
    # nothing was written by the preview
    assert not ScoreChange.objects.filter(cause="standard").exists()
    assert selectors.standard_active() == active
    assert set(CustomerScore.objects.values_list("standard_version", flat=True)) == {1}

    drill = client.get(
        url("standard_preview_customers", draft.pk) + "?dimension=value_tier&from=ordinary&to=core"
    )
    assert drill.status_code == 200
    assert "甲方机械" in drill.content.decode() and "乙方电子" in drill.content.decode()


def test_preview_drill_down_lists_only_visible_customers(world, active, movers):
    mine, theirs = movers
    draft = draft_with(world.director, active, lower_core)
    pair = ("ordinary", "core")
    seen = impact.moved_customer_ids(
        user=world.manager, candidate=draft, dimension="value_tier", pair=pair
    )
    assert seen == [mine.pk]
    assert (
        impact.moved_customer_ids(
            user=world.teammate, candidate=draft, dimension="value_tier", pair=pair
        )
        == []
    )
    result = impact.standard_impact(user=world.manager, candidate=draft)
    assert result.counts["value_tier"][pair] == 1
    assert theirs.pk not in {i for ids in result.moves["value_tier"].values() for i in ids}


def test_activate_recomputes_and_records_new_standard_moves(world, as_user, active, movers):
    mine, _theirs = movers
    recompute_all()
    draft = draft_with(world.director, active, lower_core)
    response = as_user(world.director).post(url("standard_activate", draft.pk), follow=True)
    assert response.status_code == 200
    assert "is now in force" in response.content.decode()
    draft.refresh_from_db()
    active.refresh_from_db()
    assert draft.is_active and draft.activated_by == world.director
    assert not active.is_active
    change = ScoreChange.objects.get(customer=mine, dimension="value_tier")
    assert (change.from_value, change.to_value, change.cause) == ("ordinary", "core", "standard")
    assert change.standard_version == draft.version
    assert CustomerScore.objects.get(customer=mine).value_tier == "core"
    # frozen from now on
    assert as_user(world.director).get(url("standard_edit", draft.pk)).status_code == 302


# --- the customer's Scores tab and the maturity picker -----------------------------------


def test_customer_page_shows_scores_with_explanations(world, as_user):
    recompute_all()
    text = (
        as_user(world.owner)
        .get(reverse("customers:detail", args=[world.customer.pk]))
        .content.decode()
    )
    assert 'id="tab-btn-scores"' in text and 'id="scores"' in text
    assert "R=1: last order 10 days ago" in text or "R=" in text
    assert "industry match: +3" in text
    assert "Suggested action" in text
    assert 'id="health-trend-data"' in text
    assert 'name="value" value="3k"' in text and 'name="value" value="3o"' in text
    assert "Key 3 (重3)" in text and "Ordinary 3 (普3)" in text


def test_customer_header_shows_the_scores_at_a_glance(world, as_user):
    recompute_all()
    score = CustomerScore.objects.get(customer=world.customer)
    page = as_user(world.owner).get(reverse("customers:detail", args=[world.customer.pk]))
    header = re.search(r'<div[^>]*id="score-headline".*?</div>', page.content.decode(), re.S)
    assert header, "no score headline under the customer's name"
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", header.group(0)))
    assert score.get_matrix_display() in shown
    assert f"{score.get_health_grade_display()} · {score.health_score}" in shown
    assert score.get_lifecycle_display() in shown
    assert header.group(0).count('data-tab-link="scores"') >= 4


def test_customer_header_without_scores_has_no_headline(world, as_user):
    page = as_user(world.owner).get(reverse("customers:detail", args=[world.customer.pk]))
    assert 'id="score-headline"' not in page.content.decode()


def test_customer_page_reads_in_chinese_with_chinese_punctuation(world, as_user):
    recompute_all()
    page = as_user(world.owner).get(
        reverse("customers:detail", args=[world.customer.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = page.content.decode()
    assert "行业匹配：+3" in text  # a rule's points
    score = CustomerScore.objects.get(customer=world.customer)
    grade = "合格" if score.lead_qualified else "不合格"
    assert f"{score.lead_score}（{grade}）" in text


def test_customer_page_without_scores_says_so(world, as_user):
    text = (
        as_user(world.owner)
        .get(reverse("customers:detail", args=[world.customer.pk]))
        .content.decode()
    )
    assert "Not scored yet" in text


def test_maturity_one_click_and_history(world, as_user):
    recompute_all()
    client = as_user(world.owner)
    target = url("maturity_set", world.customer.pk)
    response = client.post(target, {"value": "3k", "reason": "KP 有明确意向"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/customers/{world.customer.pk}/#scores")
    state = CustomerMaturity.objects.get(customer=world.customer)
    assert state.value == "3k" and state.set_by == world.owner
    client.post(target, {"value": "3o"})
    assert CustomerMaturity.objects.get(customer=world.customer).value == "3o"
    moves = list(
        ScoreChange.objects.filter(customer=world.customer, dimension="maturity", cause="manual")
        .order_by("id")
        .values_list("from_value", "to_value", "changed_by")
    )
    assert moves == [("0", "3k", world.owner.pk), ("3k", "3o", world.owner.pk)]
    text = client.get(reverse("customers:detail", args=[world.customer.pk])).content.decode()
    assert "Key 3 — KP with clear intent" in text
    assert "Ordinary 3 — KP with interest" in text
    assert "KP 有明确意向" in text
    assert "Set by a person" in text


def test_payment_promise_only_for_class_1(world, as_user):
    client = as_user(world.owner)
    target = url("maturity_set", world.customer.pk)
    day = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    client.post(target, {"value": "1", "promised_payment_on": day})
    state = CustomerMaturity.objects.get(customer=world.customer)
    assert (state.value, state.promised_payment_on.isoformat()) == ("1", day)
    client.post(target, {"value": "3k", "promised_payment_on": day})
    state.refresh_from_db()
    assert state.value == "3k" and state.promised_payment_on is None
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    client.post(target, {"value": "1", "promised_payment_on": past})
    state.refresh_from_db()
    assert state.value == "3k"  # refused: the promise cannot be in the past


def test_maturity_picker_refuses_bad_values_and_strangers(world, as_user):
    client = as_user(world.owner)
    client.post(url("maturity_set", world.customer.pk), {"value": "9"})
    assert not CustomerMaturity.objects.filter(customer=world.customer).exists()
    stranger = as_user(world.outsider)
    assert stranger.post(url("maturity_set", world.customer.pk), {"value": "3k"}).status_code == 404
    assert not CustomerMaturity.objects.filter(customer=world.customer).exists()


def test_log_interaction_can_move_the_maturity_class(world, as_user):
    client = as_user(world.owner)
    target = reverse("customers:interaction_create", args=[world.customer.pk])
    base = {"channel": "phone", "summary": "KP 确认意向", "content_type": "value"}
    assert client.post(target, base).status_code == 302
    assert not CustomerMaturity.objects.filter(customer=world.customer).exists()
    assert client.post(target, {**base, "maturity": "3k"}).status_code == 302
    state = CustomerMaturity.objects.get(customer=world.customer)
    assert state.value == "3k" and state.reason == "KP 确认意向"
    form_page = client.get(reverse("customers:detail", args=[world.customer.pk])).content.decode()
    assert 'name="maturity"' in form_page and "— unchanged —" in form_page


# --- classification list ---------------------------------------------------------------------


@pytest.fixture
def book(world):
    """The world plus buyers in both teams, scored."""
    buyer(world.owner, "150000", name="甲一")
    buyer(world.owner, "25000", name="甲二")
    buyer(world.teammate, "5000", name="甲三")
    buyer(world.outsider, "1200000", name="乙一")
    buyer(world.outsider, "30000", name="乙二")
    recompute_all()
    return world


def _db_counts(queryset, dimension):
    counts = {}
    for code in queryset.values_list(dimension, flat=True):
        counts[code or "-"] = counts.get(code or "-", 0) + 1
    return counts


@pytest.mark.parametrize("persona", ["director", "manager", "owner", "outsider"])
def test_classification_counts_match_the_db_and_respect_visibility(book, as_user, persona):
    user = getattr(book, persona)
    page = as_user(user).get(url("classification"))
    assert page.status_code == 200
    visible = CustomerScore.objects.filter(customer__in=Customer.objects.visible_to(user))
    assert page.context["total"] == visible.count()
    for dist in page.context["distributions"]:
        if dist["dimension"] == "maturity":
            assert dist["total"] == visible.count()
            continue
        shown = {row["value"]: row["count"] for row in dist["rows"] if row["count"]}
        assert shown == _db_counts(visible, dist["dimension"]), dist["dimension"]
    text = page.content.decode()
    assert "甲一" not in text  # counts, never names


def test_rep_sees_only_own_book(book, as_user):
    page = as_user(book.owner).get(url("classification"))
    mine = Customer.objects.filter(owner=book.owner).count()
    assert page.context["total"] == mine == 3
    assert not page.context["scope_form"].offered
    drill = as_user(book.owner).get(url("classification_customers")).content.decode()
    assert "甲一" in drill and "甲二" in drill
    assert "甲三" not in drill and "乙一" not in drill


def test_heatmap_and_pareto_json(book, as_user):
    page = as_user(book.director).get(url("classification"))
    text = page.content.decode()
    heat = json.loads(re.search(r'id="heatmap-data"[^>]*>(.*?)</script>', text, re.S).group(1))
    assert len(heat["data"]) == 12 and len(heat["urls"]) == 4
    assert (
        sum(cell[2] for cell in heat["data"])
        == CustomerScore.objects.exclude(value_tier="").count()
    )
    assert heat["y"][-1] == "Strategic"  # strategic on top
    pareto = json.loads(re.search(r'id="pareto-data"[^>]*>(.*?)</script>', text, re.S).group(1))
    points = pareto["points"]
    assert points[0] == [0.0, 0.0] and points[-1] == [100.0, 100.0]
    assert all(a[1] <= b[1] for a, b in zip(points, points[1:], strict=False))
    # 6 buyers: 1.2M, 150k, 30k, 25k, 12k, 5k of 1,422,000; top 20% = 2 customers
    assert pareto["top20"] == round(1_350_000 * 100 / 1_422_000, 1)
    assert pareto["reach80"] == round(100 / 6, 1)
    assert 'data-chart="heatmap"' in text and 'data-chart="pareto"' in text
    assert "<script>" not in text  # data blocks only, no inline code


def test_manager_filters_by_rep_within_reach_only(book, as_user):
    client = as_user(book.manager)
    page = client.get(url("classification") + f"?owner={book.owner.pk}")
    assert page.context["total"] == 3
    foreign = client.get(url("classification") + f"?owner={book.outsider.pk}")
    assert (
        foreign.context["total"]
        == CustomerScore.objects.filter(
            customer__in=Customer.objects.visible_to(book.manager)
        ).count()
    )
    assert "not available to you" in foreign.content.decode()
    director = as_user(book.director).get(url("classification") + f"?team={book.outsider.team.pk}")
    assert director.context["total"] == Customer.objects.filter(owner__team__name="B").count()


def test_drill_down_filters_by_code(book, as_user):
    client = as_user(book.director)
    core = client.get(url("classification_customers") + "?value_tier=core").content.decode()
    assert "甲一" in core and "甲二" not in core
    none = client.get(url("classification_customers") + "?value_tier=-")
    assert book.other_customer.name in none.content.decode()  # no orders: not assessed
    matrix = client.get(
        url("classification_customers") + "?value_tier=strategic&potential_tier=low"
    )
    assert matrix.status_code == 200
    bogus = client.get(url("classification_customers") + "?value_tier=shoes")
    assert bogus.context["count"] == 0
    assert bogus.context["title"] == "Value tier: unknown value “shoes”"


def _sheet_text(body: bytes) -> tuple[str, str]:
    with zipfile.ZipFile(io.BytesIO(body)) as book_zip:
        names = book_zip.namelist()
        strings = book_zip.read("xl/sharedStrings.xml").decode()
        sheets = "".join(
            book_zip.read(n).decode() for n in names if n.startswith("xl/worksheets/sheet")
        )
    return strings, sheets


@pytest.mark.parametrize(("persona", "sees"), [("owner", {"甲一", "甲二"}), ("director", None)])
def test_xlsx_export_holds_only_visible_rows(book, as_user, persona, sees):
    CustomerFactory(owner=book.owner, name="=HYPERLINK(1)")
    recompute_all()
    response = as_user(getattr(book, persona)).get(url("classification_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    strings, sheets = _sheet_text(response.content)
    names = {"甲一", "甲二", "甲三", "乙一", "乙二"}
    present = {n for n in names if n in strings}
    assert present == (sees if sees is not None else names)
    assert "=HYPERLINK(1)" in strings and "<f>" not in sheets  # text, never a formula


# --- tier migration -----------------------------------------------------------------------------


def test_migration_matrix_counts_visible_moves(world, as_user):
    recompute_all()
    OrderFactory(customer=world.customer, amount=Decimal("200000"))
    other = buyer(world.outsider, "1000")
    recompute_all()
    OrderFactory(customer=other, amount=Decimal("300000"))
    recompute_all()
    quarter = f"{timezone.localdate().year}Q{(timezone.localdate().month - 1) // 3 + 1}"
    query = f"?dimension=value_tier&quarter={quarter}"

    owner_page = as_user(world.owner).get(url("migration") + query)
    matrix = owner_page.context["matrix"]
    counts = {(c["from"], c["to"]): c["count"] for row in matrix["rows"] for c in row["cells"]}
    assert counts[("low", "core")] == 1
    assert matrix["customers"] == 1 and matrix["moved"] == 1
    assert (matrix["up"], matrix["down"]) == (1, 0)  # low value → core is up
    html = owner_page.content.decode()
    assert 'id="moved-up">1<' in html and 'id="moved-down">0<' in html
    assert re.search(r'<td class="moved up"><a [^>]*>1</a></td>', html)

    director = as_user(world.director).get(url("migration") + query).context["matrix"]
    assert director["customers"] == 2

    drill = as_user(world.owner).get(url("migration_customers") + query + "&from=low&to=core")
    assert world.customer.name in drill.content.decode()
    outsider = as_user(world.outsider).get(url("migration_customers") + query + "&from=low&to=core")
    assert world.customer.name not in outsider.content.decode()
    assert outsider.context["count"] == 1  # their own customer only

    earlier = as_user(world.owner).get(url("migration") + "?dimension=value_tier&quarter=2001Q1")
    assert earlier.context["matrix"]["customers"] == 0
    bad = as_user(world.owner).get(url("migration") + "?dimension=shoes&quarter=xx")
    assert bad.status_code == 200 and bad.context["dimension"] == "value_tier"


@pytest.mark.parametrize(
    ("dimension", "before", "after", "expected"),
    [
        ("value_tier", "low", "core", "up"),
        ("value_tier", "strategic", "ordinary", "down"),
        ("health_grade", "healthy", "at_risk", "down"),
        ("credit_rating", "D", "B", "up"),
        ("value_tier", "core", "core", ""),
        ("value_tier", "", "core", ""),  # newly assessed: neither
        ("value_tier", "core", "", ""),
        ("lifecycle", "stable", "decline", ""),  # stages, not ranks
        ("rfm_segment", "important_value", "general_value", ""),
    ],
)
def test_moves_up_and_down_follow_the_order_of_the_values(dimension, before, after, expected):
    codes = list(choices.DIMENSION_CHOICES[dimension].values)
    assert move_direction(dimension, codes, before, after) == expected
