"""Manager monitoring: figures of `guanxi.followup.monitoring` against expectations
computed by hand on a small dataset (frozen clock, Asia/Shanghai), reach and
visibility, and the pages over HTTP."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from guanxi.accounts.models import Role
from guanxi.customers.models import CustomerCollaborator
from guanxi.followup import monitoring
from guanxi.followup.models import CallListLine, FollowUp, PlanTarget, StockTarget
from guanxi.followup.selectors import work_calendar
from tests.factories import InteractionFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 25)  # a Wednesday


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def follow(customer, next_due, deadline):
    FollowUp.objects.update_or_create(
        customer=customer,
        defaults={
            "next_due": next_due,
            "deadline": deadline,
            "touch": "call",
            "computed_at": timezone.now(),
        },
    )


def line(rep, customer, day, next_due, deadline, rank=1, for_manager=False):
    CallListLine.objects.create(
        list_date=day,
        rep=rep,
        customer=customer,
        rank=rank,
        slot="am_golden",
        bucket=50,
        reason="key_3",
        maturity="3k",
        next_due=next_due,
        deadline=deadline,
        first_listed_on=day,
        for_manager=for_manager,
    )


def contact(customer, when, owner=None):
    return InteractionFactory(customer=customer, occurred_at=when, owner=owner or customer.owner)


@pytest.fixture
def frozen():
    with time_machine.travel(local(TODAY, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def data(frozen, make_customer):
    """Team A: manager ma, reps r1 and r2; team B: manager mb, rep r3; a director.
    Expected figures are worked out in each test from the comments here."""
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    ma = UserFactory(username="ma", role=Role.MANAGER, team=team_a)
    mb = UserFactory(username="mb", role=Role.MANAGER, team=team_b)
    team_a.manager, team_b.manager = ma, mb
    team_a.save()
    team_b.save()
    r1 = UserFactory(username="r1", team=team_a)
    r2 = UserFactory(username="r2", team=team_a)
    r3 = UserFactory(username="r3", team=team_b)
    director = UserFactory(username="dir", role=Role.DIRECTOR)

    # r1: c1 key 3 (overdue), c2 ordinary 3 (due today), c3 class 1, c4 unclassified,
    # c5 key 4 but deleted
    c1 = make_customer(r1, "3k")
    c2 = make_customer(r1, "3o")
    c3 = make_customer(r1, "1")
    c4 = make_customer(r1)
    c5 = make_customer(r1, "4k")
    c5.deleted_at = timezone.now()
    c5.save()
    contact(c1, local(D(2026, 11, 5), 10))
    contact(c2, local(D(2026, 10, 31), 23, 30))  # last month, local time
    contact(c3, local(D(2026, 11, 19), 15))
    contact(c3, local(TODAY, 9))  # today, on the list
    contact(c4, local(D(2026, 11, 1), 0, 30))  # this month (UTC: still Oct 31)
    contact(c4, local(TODAY, 9, 30))  # today, off the list
    contact(c5, local(TODAY, 8))  # deleted customer: never counted
    follow(c1, D(2026, 11, 20), D(2026, 11, 24))
    follow(c2, D(2026, 11, 25), D(2026, 11, 30))
    follow(c3, D(2026, 11, 26), D(2026, 11, 27))
    follow(c4, D(2026, 11, 30), D(2026, 11, 30))
    follow(c5, D(2026, 11, 26), D(2026, 11, 26))
    # c1's window (11-20, 11-24) listed three days, never done: late
    for day in (D(2026, 11, 20), D(2026, 11, 24), TODAY):
        line(r1, c1, day, D(2026, 11, 20), D(2026, 11, 24), rank=3)
    # c3's earlier window (11-18, 11-19) done on 11-19: on time
    line(r1, c3, D(2026, 11, 18), D(2026, 11, 18), D(2026, 11, 19))
    # today's list: c2 (not done), c3 (done at 09:00), c1 above
    line(r1, c2, TODAY, D(2026, 11, 25), D(2026, 11, 30), rank=1)
    line(r1, c3, TODAY, D(2026, 11, 24), D(2026, 11, 26), rank=2)

    # r2: d1 key 3, d2 and d3 ordinary 3
    d1 = make_customer(r2, "3k")
    d2 = make_customer(r2, "3o")
    d3 = make_customer(r2, "3o")
    contact(d1, local(D(2026, 11, 10), 18))
    contact(d3, local(D(2026, 11, 14), 0, 30))  # local 11-14 (UTC 11-13)
    follow(d1, D(2026, 11, 26), D(2026, 12, 1))
    follow(d2, D(2026, 11, 12), D(2026, 11, 16))  # never listed, never done: late
    follow(d3, D(2026, 11, 27), D(2026, 12, 3))
    line(r2, d1, D(2026, 11, 6), D(2026, 11, 6), D(2026, 11, 10))  # done on the deadline
    line(r2, d3, D(2026, 11, 9), D(2026, 11, 9), D(2026, 11, 13))  # done a day late

    # r3 (team B): e1 key 3 overdue; r3 also collaborates on c2
    e1 = make_customer(r3, "3k")
    contact(e1, local(D(2026, 11, 3), 10))
    follow(e1, D(2026, 11, 20), D(2026, 11, 20))
    CustomerCollaborator.objects.create(customer=c2, user=r3)
    return {
        "ma": ma,
        "mb": mb,
        "r1": r1,
        "r2": r2,
        "r3": r3,
        "director": director,
        "team_a": team_a,
        "team_b": team_b,
        "c": [c1, c2, c3, c4, c5],
        "d": [d1, d2, d3],
        "e1": e1,
    }


def report(viewer, **scope):
    reps = list(monitoring.monitored_reps(viewer, **scope))
    return monitoring.monitoring_report(viewer, reps, today=TODAY, cal=work_calendar())


def row_of(rep_report, rep):
    return next(r for r in rep_report.rows if r.rep == rep)


# --- reach ------------------------------------------------------------------------


def test_reach_manager_rep_director(data):
    assert list(monitoring.monitored_reps(data["ma"])) == [data["r1"], data["r2"]]
    assert list(monitoring.monitored_reps(data["r1"])) == [data["r1"]]
    assert list(monitoring.monitored_reps(data["r1"], rep=data["r2"])) == []
    assert list(monitoring.monitored_reps(data["ma"], rep=data["r3"])) == []
    assert list(monitoring.monitored_reps(data["director"])) == [
        data["r1"],
        data["r2"],
        data["r3"],
    ]
    assert list(monitoring.monitored_reps(data["director"], team=data["team_b"])) == [data["r3"]]


# --- figures ----------------------------------------------------------------------


def test_stock_and_class_3_quality(data):
    rep = report(data["ma"])
    r1, r2 = row_of(rep, data["r1"]), row_of(rep, data["r2"])
    # c5 is deleted; c4 has no class: counts as 0
    assert r1.stock == {"3k": 1, "3o": 1, "1": 1, "0": 1}
    assert r1.total == 4
    assert (r1.key_3_share, r1.ordinary_3_share) == (50.0, 50.0)
    assert r2.stock == {"3k": 1, "3o": 2}
    assert (r2.key_3_share, r2.ordinary_3_share) == (33.3, 66.7)
    assert rep.totals.stock["3o"] == 3 and rep.totals.total == 7
    # against the seed defaults: 1 key 3 < 12, total 4 < 1000, class 0 1 ≤ 100
    assert r1.stock_status["3k"] == "low"
    assert r1.stock_status["total"] == "low"
    assert r1.stock_status["0"] == "ok"
    assert r1.stock_status["6"] == "ok"


def test_stock_status_follows_configured_targets(data):
    StockTarget.objects.filter(key="3o").update(minimum=None, maximum=1)
    StockTarget.objects.filter(key="4").update(maximum=0)
    r2 = row_of(report(data["ma"]), data["r2"])
    assert r2.stock_status["3o"] == "high"  # 2 > 1
    r1 = row_of(report(data["ma"]), data["r1"])
    assert r1.stock_status["4"] == "ok"  # the deleted key 4 does not count


def test_coverage_overdue_due(data):
    rep = report(data["ma"])
    r1, r2 = row_of(rep, data["r1"]), row_of(rep, data["r2"])
    # r1: c1 (11-05), c3, c4 (11-01 00:30 local) covered; c2 (10-31 23:30 local) not
    assert (r1.covered, r1.total, r1.coverage) == (3, 4, 75.0)
    assert (r2.covered, r2.total, r2.coverage) == (2, 3, 66.7)
    assert (r1.overdue, r1.overdue_3, r1.due) == (1, 1, 2)
    assert (r2.overdue, r2.overdue_3, r2.due) == (1, 1, 1)
    assert (rep.totals.covered, rep.totals.overdue) == (5, 2)


def test_calls_planned_done_logged_today(data):
    rep = report(data["ma"])
    r1, r2 = row_of(rep, data["r1"]), row_of(rep, data["r2"])
    assert (r1.planned, r1.done, r1.logged) == (3, 1, 2)
    assert (r2.planned, r2.done, r2.logged) == (0, 0, 0)
    assert r1.done_rate == 33.3
    by_day = {day: (p, d, lg) for day, p, d, lg in rep.daily}
    assert by_day[TODAY] == (3, 1, 2)
    assert by_day[D(2026, 11, 24)] == (1, 0, 0)
    assert by_day[D(2026, 11, 18)] == (1, 0, 0)  # c3 contacted on 11-19, not the 18th
    assert D(2026, 11, 21) not in by_day  # a Saturday without activity


def test_cadence_compliance(data):
    rep = report(data["director"])
    r1, r2, r3 = (row_of(rep, data[k]) for k in ("r1", "r2", "r3"))
    # r1: c1 late (listed 3 times, one window), c3's 11-19 window on time
    assert (r1.cf_on_time, r1.cf_due, r1.compliance) == (1, 2, 50.0)
    # r2: d1 done on its deadline, d3 done the day after (local date), d2 never listed
    assert (r2.cf_on_time, r2.cf_due, r2.compliance) == (1, 3, 33.3)
    # r3: e1 unlisted and late
    assert (r3.cf_on_time, r3.cf_due) == (0, 1)
    assert (rep.compliance_start, rep.compliance_last) == (D(2026, 11, 1), D(2026, 11, 24))


def test_compliance_on_the_first_of_the_month_is_empty(data):
    reps = [data["r1"]]
    assert (
        monitoring.compliance(data["r1"], [r.pk for r in reps], TODAY, TODAY.replace(day=1)) == {}
    )


def test_next_week_plan(data):
    rep = report(data["ma"])
    assert rep.plan_days == [
        D(2026, 11, 26),
        D(2026, 11, 27),
        D(2026, 11, 30),
        D(2026, 12, 1),
        D(2026, 12, 2),
    ]
    assert row_of(rep, data["r1"]).plan == [1, 0, 1, 0, 0]  # c3 Thu, c4 Mon; c5 deleted
    assert row_of(rep, data["r2"]).plan == [1, 1, 0, 0, 0]
    assert rep.totals.plan == [2, 1, 1, 0, 0]
    # seed standard per weekday: Thu 20, Fri 15, Mon 35, Tue 25, Wed 25
    assert rep.plan_targets == [20, 15, 35, 25, 25]
    PlanTarget.objects.filter(weekday=0).update(calls=40)
    assert report(data["ma"]).plan_targets[2] == 40


def test_query_count_does_not_grow_with_reps(data, django_assert_max_num_queries):
    viewer = data["director"]
    reps = list(monitoring.monitored_reps(viewer))
    with django_assert_max_num_queries(12):
        monitoring.monitoring_report(viewer, reps, today=TODAY, cal=work_calendar())


# --- visibility -------------------------------------------------------------------


def test_rep_sees_only_own_book_even_as_collaborator(data):
    rep = report(data["r3"])
    assert [r.rep for r in rep.rows] == [data["r3"]]
    # r3 collaborates on c2 (owned by r1): not in r3's stock
    assert rep.rows[0].stock == {"3k": 1} and rep.rows[0].total == 1


def test_manager_never_counts_another_teams_customers(data):
    rep = report(data["mb"])
    assert [r.rep for r in rep.rows] == [data["r3"]]
    ids = [data["r1"].pk, data["r2"].pk]
    # asked directly for team A's reps, the other manager gets nothing
    assert not monitoring.drill_customers(data["mb"], ids, "all", today=TODAY).exists()
    assert monitoring.stock_counts(monitoring.book(data["mb"], ids)) == {}


# --- drill-down -------------------------------------------------------------------


def test_drill_down_lists_match_the_numbers(data):
    ma, r1, r2 = data["ma"], data["r1"], data["r2"]
    c1, c2, c3, c4, _c5 = data["c"]
    d1, d2, d3 = data["d"]

    def drill(ids, metric, **kw):
        return set(monitoring.drill_customers(ma, ids, metric, today=TODAY, **kw))

    assert drill([r1.pk], "stock", cls="3k") == {c1}
    assert drill([r1.pk], "stock", cls="0") == {c4}
    assert drill([r1.pk, r2.pk], "stock", cls="total") == {c1, c2, c3, c4, d1, d2, d3}
    assert drill([r1.pk], "covered") == {c1, c3, c4}
    assert drill([r1.pk], "uncovered") == {c2}
    assert drill([r1.pk, r2.pk], "overdue") == {c1, d2}
    assert drill([r1.pk], "due") == {c1, c2}
    assert drill([r1.pk], "planned") == {c1, c2, c3}
    assert drill([r1.pk], "done") == {c3}
    assert drill([r1.pk], "not_done") == {c1, c2}
    assert drill([r1.pk], "planned", day=D(2026, 11, 24)) == {c1}
    assert drill([r1.pk, r2.pk], "plan_day", day=D(2026, 11, 26)) == {c3, d1}
    assert drill([r1.pk, r2.pk], "late") == {c1, d2, d3}
    assert drill([r1.pk], "class_3") == {c1, c2}


# --- pages ------------------------------------------------------------------------


def test_monitoring_page_for_a_manager(data, client):
    client.force_login(data["ma"])
    response = client.get(reverse("followup:monitoring"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-rep="{data["r1"].pk}"' in body and f'data-rep="{data["r2"].pk}"' in body
    assert f'data-rep="{data["r3"].pk}"' not in body
    assert 'id="stock-data"' in body and "<script>" not in body  # data, no inline code


def test_rep_sees_only_their_own_row(data, client):
    client.force_login(data["r1"])
    body = client.get(reverse("followup:monitoring")).content.decode()
    assert f'data-rep="{data["r1"].pk}"' in body
    assert f'data-rep="{data["r2"].pk}"' not in body
    # asking for a colleague is ignored on the page, 404 on the drill-down
    body = client.get(reverse("followup:monitoring") + f"?rep={data['r2'].pk}").content.decode()
    assert f'data-rep="{data["r2"].pk}"' not in body
    url = reverse("followup:monitoring_customers") + f"?rep={data['r2'].pk}&metric=all"
    assert client.get(url).status_code == 404


def test_drill_down_page(data, client):
    client.force_login(data["ma"])
    c1 = data["c"][0]
    url = reverse("followup:monitoring_customers") + f"?rep={data['r1'].pk}&metric=overdue"
    response = client.get(url)
    assert response.status_code == 200
    assert c1.name in response.content.decode()
    assert data["d"][1].name not in response.content.decode()
    bad = reverse("followup:monitoring_customers") + "?metric=stock&cls=9"
    assert client.get(bad).status_code == 404
    other = reverse("followup:monitoring_customers") + f"?rep={data['r3'].pk}"
    assert client.get(other).status_code == 404


def test_targets_page_directors_only(data, client):
    url = reverse("followup:monitoring_targets")
    client.force_login(data["ma"])
    assert client.get(url).status_code == 403
    client.force_login(data["director"])
    assert client.get(url).status_code == 200
    targets = list(StockTarget.objects.order_by("pk"))
    post = {
        "stock-TOTAL_FORMS": str(len(targets)),
        "stock-INITIAL_FORMS": str(len(targets)),
        "stock-MIN_NUM_FORMS": "0",
        "stock-MAX_NUM_FORMS": "1000",
    }
    for i, t in enumerate(targets):
        post[f"stock-{i}-id"] = str(t.pk)
        post[f"stock-{i}-minimum"] = "" if t.minimum is None else str(t.minimum)
        post[f"stock-{i}-maximum"] = "" if t.maximum is None else str(t.maximum)
    key_3 = next(i for i, t in enumerate(targets) if t.key == "3k")
    post[f"stock-{key_3}-minimum"] = "10"
    post[f"stock-{key_3}-maximum"] = "20"
    for weekday, calls in enumerate((30, 30, 30, 30, 30)):
        post[f"plan-day_{weekday}"] = str(calls)
    assert client.post(url, post).status_code == 302
    assert StockTarget.objects.values_list("minimum", "maximum").get(key="3k") == (10, 20)
    assert PlanTarget.objects.get(weekday=0).calls == 30
    post[f"stock-{key_3}-maximum"] = "5"  # below the minimum: refused
    assert client.post(url, post).status_code == 200
    assert StockTarget.objects.values_list("maximum", flat=True).get(key="3k") == 20


def test_a_rep_who_left_stays_visible_while_owning_customers(data):
    r2 = data["r2"]
    r2.is_active = False
    r2.save()
    assert data["r2"] in monitoring.monitored_reps(data["ma"])
    for customer in data["d"]:
        customer.owner = data["r1"]
        customer.save()
    assert data["r2"] not in monitoring.monitored_reps(data["ma"])


def test_recent_days_per_rep(data):
    rep = report(data["ma"])
    assert rep.recent_days == [
        D(2026, 11, 19),
        D(2026, 11, 20),
        D(2026, 11, 23),
        D(2026, 11, 24),
        TODAY,
    ]
    assert row_of(rep, data["r1"]).recent == [(0, 0), (1, 0), (0, 0), (1, 0), (3, 1)]
    assert rep.totals.recent[-1] == (3, 1)
