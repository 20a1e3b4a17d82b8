"""The call list page: grouping, reasons, done state, progress, reps on leave,
rollover, the build button, visibility per persona, query count; the follow-up
badge of the customer page and the customer-list filter."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from guanxi.followup import page_selectors
from guanxi.followup.calllist import calllists_build
from guanxi.followup.models import CallListLine, CallListRun, RepCapacity
from guanxi.followup.recompute import followups_recompute
from tests.factories import CustomerScoreFactory, InteractionFactory, UserFactory

from .conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_monday")]
FRI = dt.date(2026, 12, 4)
DAY = dt.date(2026, 12, 7)  # Monday
URL = reverse("followup:calllist")


@pytest.fixture
def clock():
    with time_machine.travel(at(DAY, 9), tick=False) as traveller:
        yield traveller


def build(day=DAY):
    followups_recompute(today=day)
    return calllists_build(day)


def page(client, user, **params):
    client.force_login(user)
    query = {"date": DAY.isoformat(), **params}
    return client.get(URL, query)


def test_rep_sees_own_list_grouped_with_reason_and_progress(world, clock, client):
    build()
    response = page(client, world.owner)
    assert response.status_code == 200
    html = response.content.decode()
    assert world.customer.name in html and world.customer.number in html
    assert reverse("customers:detail", args=[world.customer.pk]) in html
    assert "Morning golden hours" in html
    line = CallListLine.objects.get(list_date=DAY, customer=world.customer)
    assert line.reason == "overdue"
    assert "Follow-up overdue by" in html  # the translated reason text
    assert "0 / 1 done" in html
    assert "Class 0" in html  # never classified
    # another team's customer is never on it
    assert world.other_customer.name not in html


def test_each_line_shows_the_customers_value_and_potential(world, clock, client):
    CustomerScoreFactory(customer=world.customer, value_tier="core", matrix="core_high")
    build()
    html = page(client, world.owner).content.decode()
    badge = re.search(r'class="badge text-bg-light border call-tier"[^>]*>([^<]*)<', html)
    assert badge and badge.group(1) == "Core, high potential"


def test_done_state_counts_interactions_since_the_day_started(world, clock, client, make_customer):
    second = make_customer(world.owner, maturity="3k")
    build()
    InteractionFactory(customer=second, occurred_at=at(DAY, 8))
    html = page(client, world.owner).content.decode()
    assert "1 / 2 done" in html
    assert html.count("is-done") == 1
    # yesterday's call does not count for today
    InteractionFactory(customer=world.customer, occurred_at=at(DAY - dt.timedelta(days=1), 17))
    assert "1 / 2 done" in page(client, world.owner).content.decode()


def test_visibility_per_persona(world, clock, client):
    build()
    for persona in ("teammate", "outsider", "other_manager"):
        response = page(client, getattr(world, persona), rep=world.owner.pk)
        assert response.status_code == 404, persona
        own = page(client, getattr(world, persona)).content.decode()
        assert world.customer.name not in own, persona
    for persona in ("manager", "director", "admin"):
        response = page(client, getattr(world, persona), rep=world.owner.pk)
        assert response.status_code == 200, persona
        assert world.customer.name in response.content.decode(), persona
    manager_page = page(client, world.manager).content.decode()
    # the rep picker offers the team, never another team's rep
    assert f'value="{world.owner.pk}"' in manager_page
    assert f'value="{world.outsider.pk}"' not in manager_page
    assert page(client, world.owner, rep="x").status_code == 404
    assert page(client, world.owner, date="2026-13-01").status_code == 404


def test_rep_on_leave_lines_go_to_the_manager(world, clock, client):
    RepCapacity.objects.create(user=world.owner, capacity=0)
    build()
    own = page(client, world.owner).content.decode()
    assert world.customer.name not in own
    assert "On leave" in own
    manager_home = page(client, world.manager).content.decode()
    assert 'id="leave-lines"' in manager_home and world.customer.name in manager_home
    # another team's manager never gets them
    assert world.customer.name not in page(client, world.other_manager).content.decode()
    rep_view = page(client, world.manager, rep=world.owner.pk).content.decode()
    assert world.customer.name in rep_view and "rep on leave" in rep_view


def test_rolled_over_line_says_since_when(world, clock, client):
    clock.move_to(at(FRI, 7))
    build(FRI)
    clock.move_to(at(DAY, 9))
    build()
    html = page(client, world.owner).content.decode()
    assert "carried over 3 days" in html


def test_build_button_builds_once(world, clock, client):
    html = page(client, world.owner).content.decode()
    assert "have not been built yet" in html and 'id="build-calllist"' in html
    client.force_login(world.owner)
    response = client.post(reverse("followup:calllist_build"))
    assert response.status_code == 302
    assert CallListRun.objects.filter(list_date=DAY, status="done").exists()
    ids = set(CallListLine.objects.values_list("pk", flat=True))
    assert ids
    client.post(reverse("followup:calllist_build"))  # already built: left alone
    assert set(CallListLine.objects.values_list("pk", flat=True)) == ids
    assert world.customer.name in page(client, world.owner).content.decode()


def test_sixty_lines_render_in_few_queries(
    world, clock, client, make_customer, django_assert_max_num_queries
):
    rep = UserFactory(username="rep_busy", team=world.owner.team)
    for i in range(70):
        customer = make_customer(rep, maturity=("3k", "3o", "4k", "1")[i % 4])
        if i % 3 == 0:
            InteractionFactory(customer=customer, occurred_at=at(DAY - dt.timedelta(days=20)))
    build()
    assert CallListLine.objects.filter(list_date=DAY, rep=rep).count() == 60
    client.force_login(rep)
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"date": DAY.isoformat()})
    assert "0 / 60 done" in response.content.decode()
    client.force_login(world.manager)  # rep picker and leave lines add a query each
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"date": DAY.isoformat(), "rep": rep.pk})
    assert response.content.decode().count("data-rank=") == 60


# --- customer page and customer list ------------------------------------------------


def test_customer_page_shows_next_follow_up_and_overdue_badge(world, clock, client):
    followups_recompute(today=DAY)
    client.force_login(world.owner)
    html = client.get(reverse("customers:detail", args=[world.customer.pk])).content.decode()
    assert 'id="next-followup"' in html
    assert 'id="followup-overdue"' in html  # last contacted weeks ago, class 0


def test_customer_list_filter_follow_up_overdue(world, clock, client, make_customer):
    fresh = make_customer(world.owner, contacted=DAY)
    followups_recompute(today=DAY)
    client.force_login(world.owner)
    html = client.get(reverse("customers:list"), {"followup": "overdue"}).content.decode()
    assert world.customer.name in html and fresh.name not in html
    client.force_login(world.teammate)
    html = client.get(reverse("customers:list"), {"followup": "overdue"}).content.decode()
    assert world.customer.name not in html


def test_backlog_of_a_rep_on_leave_is_capped(world, clock, client, make_customer, monkeypatch):
    for _ in range(3):
        make_customer(world.owner)
    RepCapacity.objects.create(user=world.owner, capacity=0)
    build()
    monkeypatch.setattr(page_selectors, "LEAVE_LINES_LIMIT", 2)
    html = page(client, world.manager).content.decode()
    assert html.count("is-cover") == 2  # the first two lines only
    assert "4 due" in html  # the whole backlog is counted on the rep's link
