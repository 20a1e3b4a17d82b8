"""The pure rules, without a database."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.scoring import rules
from guanxi.scoring.facts_types import Facts
from guanxi.scoring.population import (
    compute_cutoffs,
    pareto_cutoff,
    quantile_cutoffs,
    top_share_cutoff,
)
from guanxi.scoring.results import Cutoffs
from guanxi.scoring.standard_types import Standard
from guanxi.scoring.standards import default_config

AS_OF = dt.date(2024, 6, 30)
YUAN = 100  # cents


def std(**changes) -> Standard:
    config = default_config()
    for path, value in changes.items():
        node = config
        *parents, leaf = path.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return Standard(1, config)


def facts(**kw) -> Facts:
    base = {"customer_id": 1, "as_of": AS_OF, "created_on": dt.date(2022, 1, 1)}
    return Facts(**{**base, **kw})


def buyer(days_ago: int = 10, first_days_ago: int = 500, sales_yuan: int = 0, **kw) -> Facts:
    return facts(
        last_order_on=AS_OF - dt.timedelta(days=days_ago),
        first_order_on=AS_OF - dt.timedelta(days=first_days_ago),
        orders_total=kw.pop("orders_total", 3),
        order_days=kw.pop("order_days", 3),
        sales=sales_yuan * YUAN,
        **kw,
    )


FIXED = Cutoffs(recency=(30, 60, 90, 180), frequency=(1, 2, 3, 5), monetary=(2, 5, 10, 20))


# --- RFM -----------------------------------------------------------------------


def test_recency_143_days_with_fixed_cutoffs_scores_2_and_says_why():
    r, _f, _m, _seg, reasons = rules.rfm(buyer(days_ago=143), std(), FIXED)
    assert r == 2
    assert reasons[0] == ("rfm_r", {"score": 2, "days": 143, "cutoffs": "30/60/90/180"})


@pytest.mark.parametrize(
    ("days", "score"), [(0, 5), (30, 5), (31, 4), (60, 4), (90, 3), (91, 2), (180, 2), (181, 1)]
)
def test_recency_cutoffs_are_inclusive_upper_bounds(days, score):
    assert rules.rfm(buyer(days_ago=days), std(), FIXED)[0] == score


def test_quintiles_nearest_rank_and_ties_share_a_score():
    assert quantile_cutoffs(range(1, 11)) == (2, 4, 6, 8)
    assert quantile_cutoffs([]) == ()
    tied = quantile_cutoffs([5, 5, 5, 5, 9])
    assert tied == (5, 5, 5, 5)
    scores = {1 + sum(v > c for c in tied) for v in (5, 5, 5, 5)}
    assert scores == {1}  # all four tied customers get the same score
    assert 1 + sum(c < 9 for c in tied) == 5


def test_no_orders_means_no_rfm_no_value_tier_no_health():
    f = facts(created_on=AS_OF)
    s = rules.score(f, std(), Cutoffs())
    assert (s.r, s.f, s.m, s.rfm_segment) == (None, None, None, "")
    assert (s.value_tier, s.matrix, s.health_score, s.four_class) == ("", "", None, "")
    assert s.lifecycle == "exploration"


def test_rfm_segments_follow_high_low_split():
    s = std()
    cut = Cutoffs(recency=(30, 60, 90, 180), frequency=(1, 2, 3, 5), monetary=(0, 0, 0, 0))
    r, f, m, seg, _ = rules.rfm(buyer(days_ago=5, order_days=6, sales_yuan=1), s, cut)
    assert (r, f, m, seg) == (5, 5, 5, "important_value")
    r, f, m, seg, _ = rules.rfm(buyer(days_ago=400, order_days=1, sales_yuan=0), s, cut)
    assert (r, f, m, seg) == (1, 1, 1, "general_winback")


# --- value tier, potential, matrix -------------------------------------------------


def test_value_tier_bands_and_margin():
    s = std()
    assert rules.value_tier(buyer(sales_yuan=1_300_000), s)[0] == "strategic"  # margin unknown
    low_margin = buyer(sales_yuan=1_300_000, margin_base=130_000_000, profit_x=130_000_000 * 1500)
    tier, reasons = rules.value_tier(low_margin, s)
    assert tier == "core"  # a 15% margin misses strategic's 20%, meets core's 10%
    assert ("vt_margin_low", {"margin": "15", "min": "20", "tier": "strategic"}) in reasons
    assert rules.value_tier(buyer(sales_yuan=800_000), s)[0] == "core"
    assert rules.value_tier(buyer(sales_yuan=20_000), s)[0] == "ordinary"
    assert rules.value_tier(buyer(sales_yuan=19_999), s)[0] == "low"
    assert rules.value_tier(facts(is_strategic=True), s)[0] == "strategic"


def test_value_tier_change_is_explainable():
    before = rules.value_tier(buyer(sales_yuan=800_000), std())[1]
    after = rules.value_tier(buyer(sales_yuan=1_300_000), std())[1]
    assert ("vt_band", {"sales": "800,000", "min": "100,000"}) in before
    assert ("vt_below", {"sales": "800,000", "min": "1,000,000"}) in before
    assert ("vt_band", {"sales": "1,300,000", "min": "1,000,000"}) in after


def test_potential_weighted_dimensions_and_matrix_label():
    f = buyer(
        sales_yuan=1_300_000,
        potential_class="A",
        needs_matched=1,
        size_band="2000+",
        budget_known=True,
        interactions_recent=3,
        decision_maker_known=True,
        urgency="high",
        sales_recent=10,
        sales_previous=5,
    )
    tier, score, _ = rules.potential(f, std())
    assert (tier, score) == ("high", 100)
    assert rules.score(f, std(), Cutoffs()).matrix == "strategic_high"
    tier, score, _ = rules.potential(facts(potential_class="B"), std())
    assert (tier, score) == ("low", 14)  # 35 points of need fit x 40% = 14


# --- four classes (seed 003) ------------------------------------------------------


@pytest.mark.parametrize(
    ("sales", "days", "tenure", "expected", "exact"),
    [
        (150_000, 60, 400, "high_value", True),
        (70_000, 150, 200, "potential", True),
        (30_000, 20, 900, "stable", True),
        (10_000, 5, 900, "low_value", True),  # < 20k
        (500_000, 200, 900, "low_value", True),  # silent: no order in 6 months
        (150_000, 60, 200, "high_value", False),  # tenure < 1 year: by sales band
        (70_000, 10, 900, "potential", False),  # customer > 1 year: by sales band
        (30_000, 45, 900, "stable", False),  # no order in the last month
        (100_000, 90, 365, "high_value", True),  # bounds are inclusive
        (50_000, 180, 364, "potential", True),
    ],
)
def test_four_classes_precedence_and_fallthrough(sales, days, tenure, expected, exact):
    f = buyer(days_ago=days, first_days_ago=tenure, sales_yuan=sales)
    code, is_exact, _reasons = rules.four_class(f, std())
    assert (code, is_exact) == (expected, exact)


# --- health, lead, lifecycle, credit --------------------------------------------------


def test_health_weights_grade_problem_and_next_evaluation():
    healthy = buyer(sales_yuan=100_000, active_quarters=4, satisfaction=5, interactions_recent=6)
    score, grade, problem, next_on, _ = rules.health(healthy, std())
    assert (score, grade, problem) == (100, "healthy", "")
    # every 90 days from creation (2022-01-01, 911 days before): day 990 is the next
    assert next_on == dt.date(2022, 1, 1) + dt.timedelta(days=990) == dt.date(2024, 9, 17)
    # seed 000 table 4, customer C: low repurchase (20%), low satisfaction (60)
    weak = buyer(sales_yuan=50_000, active_quarters=1, satisfaction=3, interactions_recent=3)
    score, grade, problem, next_on, reasons = rules.health(weak, std())
    # 0.30*50 + 0.25*25 + 0.25*60 + 0.20*50 = 46.25 -> 46
    assert (score, grade, problem) == (46, "at_risk", "low_repurchase")
    assert next_on == dt.date(2022, 1, 1) + dt.timedelta(days=14 * 66) == dt.date(2024, 7, 13)
    assert ("hs_repurchase", {"score": 25, "quarters": 1}) in reasons


@given(created=st.integers(min_value=0, max_value=2000), cycle=st.integers(1, 120))
def test_next_evaluation_stays_put_until_it_comes_then_moves_one_cycle(created, cycle):
    born = AS_OF - dt.timedelta(days=created)
    due = rules.next_evaluation(facts(created_on=born), cycle)
    assert AS_OF < due <= AS_OF + dt.timedelta(days=cycle)
    assert (due - born).days % cycle == 0
    for step in range((due - AS_OF).days):  # the days until it comes: the same date
        later = facts(created_on=born, as_of=AS_OF + dt.timedelta(days=step))
        assert rules.next_evaluation(later, cycle) == due
    on_the_day = facts(created_on=born, as_of=due)
    assert rules.next_evaluation(on_the_day, cycle) == due + dt.timedelta(days=cycle)


@pytest.mark.parametrize(
    ("industry", "budget", "dm", "score", "grade", "qualified"),
    [
        ("manufacturing", True, True, 7, "high_potential", True),
        ("manufacturing", True, False, 5, "ordinary", True),
        ("retail", True, True, 4, "nurture", False),
        ("", False, False, 0, "nurture", False),
    ],
)
def test_lead_score_seed_002(industry, budget, dm, score, grade, qualified):
    f = facts(industry=industry, budget_known=budget, decision_maker_known=dm)
    assert rules.lead(f, std())[:3] == (score, grade, qualified)


def test_lifecycle_stages():
    s = std()
    created = AS_OF - dt.timedelta(days=10)
    assert rules.lifecycle(facts(stage="lost"), s)[0] == "churned"
    assert rules.lifecycle(facts(created_on=created), s)[0] == "exploration"
    assert rules.lifecycle(facts(created_on=AS_OF - dt.timedelta(days=400)), s)[0] == "churned"
    dormant = facts(created_on=AS_OF - dt.timedelta(days=200))
    assert rules.lifecycle(dormant, s)[0] == "dormant"
    talk = {"last_interaction_on": AS_OF - dt.timedelta(days=3)}
    assert rules.lifecycle(buyer(first_days_ago=100, **talk), s)[0] == "formation"
    assert rules.lifecycle(buyer(first_days_ago=700, **talk), s)[0] == "stable"
    falling = buyer(first_days_ago=700, sales_recent=40, sales_previous=100, **talk)
    assert rules.lifecycle(falling, s)[0] == "decline"
    assert rules.lifecycle(buyer(days_ago=200, first_days_ago=700, **talk), s)[0] == "decline"


def test_credit_rating_sets_limit_and_term():
    rich = buyer(sales_yuan=1_200_000, payment_method="wire", monthly_plan=100_000 * YUAN)
    rating, limit, term, reasons = rules.credit(rich, std())
    # 100k/month: 40 + wire 30 + plan 100%: 30 = 100 -> A: 3 months, 60 days
    assert (rating, limit, term) == ("A", 300_000 * YUAN, 60)
    assert rules.credit(facts(), std())[:3] == ("E", 0, 0)  # no orders, no plan: 15 points


# --- pyramid and ABC ------------------------------------------------------------------


def test_pareto_and_pyramid_cutoffs():
    values = [500, 300, 100, 50, 30, 20]  # total 1000
    assert pareto_cutoff(values, 1000, 80) == 300  # 500+300 = 80%
    assert pareto_cutoff(values, 1000, 95) == 50  # 950 = 95%
    assert pareto_cutoff([], 0, 80) is None
    assert top_share_cutoff(values, 1) == 500  # ceil(0.06) = 1st
    assert top_share_cutoff(values, 50) == 100  # 3rd
    buyers = [buyer(customer_id=i, sales_yuan=v) for i, v in enumerate(values)]
    cut = compute_cutoffs(buyers, std(pyramid__metric="sales"))
    assert cut.abc == (300 * YUAN, 50 * YUAN)
    levels = [rules.abc(b, cut)[0] for b in buyers]
    assert levels == ["A", "A", "B", "B", "C", "C"]
    pyramid = [rules.pyramid(b, std(pyramid__metric="sales"), cut)[0] for b in buyers]
    # n=6: key and major both end at rank ceil(6 x 5%) = 1, ordinary at rank 3
    assert pyramid == ["key", "ordinary", "ordinary", "small", "small", "small"]


def test_zero_value_customers_never_reach_a_top_level():
    zeros = [buyer(customer_id=i) for i in range(5)]
    cut = compute_cutoffs(zeros, std())
    assert {rules.pyramid(b, std(), cut)[0] for b in zeros} == {"small"}
    assert {rules.abc(b, cut)[0] for b in zeros} == {"C"}


# --- maturity ---------------------------------------------------------------------------


def test_maturity_auto_moves():
    assert rules.maturity_auto(facts()) == ("0", ("mt_new", {}))
    passed = {"maturity": "1", "promised_payment_on": AS_OF - dt.timedelta(days=1)}
    assert rules.maturity_auto(facts(**passed))[0] == "6"
    assert rules.maturity_auto(facts(**passed, paid_since_promise=True)) is None
    today = {"maturity": "1", "promised_payment_on": AS_OF}
    assert rules.maturity_auto(facts(**today)) is None  # due today: not yet broken
    assert rules.maturity_auto(facts(maturity="3k")) is None


def test_cutoffs_round_trip_json():
    cut = Cutoffs(recency=(1, 2, 3, 4), pyramid=(9, None, 1), abc=(5, None), population=3)
    assert Cutoffs.from_json(cut.to_json()) == cut


@given(
    days_ago=st.none() | st.integers(0, 900),
    tenure=st.integers(0, 900),
    sales_yuan=st.integers(0, 3_000_000),
    interactions=st.integers(0, 12),
    satisfaction=st.none() | st.integers(1, 5),
    keys=st.sets(st.sampled_from(sorted(rules.score(facts(), std(), FIXED).reasons))),
)
def test_explain_gives_the_reasons_score_gives(
    days_ago, tenure, sales_yuan, interactions, satisfaction, keys
):
    if days_ago is None:
        f = facts(interactions_recent=interactions, satisfaction=satisfaction)
    else:
        f = buyer(days_ago, days_ago + tenure, sales_yuan, interactions_recent=interactions,
                  satisfaction=satisfaction)  # fmt: skip
    standard = std()
    full = rules.score(f, standard, FIXED).reasons
    assert rules.explain(f, standard, FIXED, keys) == {key: full[key] for key in keys}


def test_the_rules_import_without_django():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['django'] = None\n"
        "import guanxi.scoring.rules, guanxi.scoring.population, guanxi.scoring.thresholds\n"
        "assert not any(m.startswith('django') for m in sys.modules if sys.modules[m])\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=".", timeout=60)  # noqa: S603
