"""Calling mode: the customer summary, logging an outcome through the customer
services (interaction, maturity, follow-up refresh), moving on, and who may work
which list."""

import datetime as dt

import pytest
import time_machine
from django.http import Http404
from django.urls import reverse

from guanxi.customers.models import Interaction
from guanxi.followup.calllist import calllists_build
from guanxi.followup.models import CallListLine, FollowUp
from guanxi.followup.page_selectors import LineRow, neighbours
from guanxi.followup.recompute import followups_recompute
from guanxi.scoring.models import CustomerMaturity
from tests.factories import ContactFactory

from .conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_monday")]
DAY = dt.date(2026, 12, 7)  # Monday
URL = reverse("followup:calling")


@pytest.fixture
def day_lists(world, make_customer):
    """The owner's list: the world's customer (overdue, rank 1) then a key-3 customer."""
    with time_machine.travel(at(DAY, 9), tick=True):
        second = make_customer(world.owner, maturity="3k", contacted=dt.date(2026, 11, 30))
        ContactFactory(customer=second, name="李四", phone="139 1111 2222", is_key_person=False)
        followups_recompute(today=DAY)
        calllists_build(DAY)
        ranks = dict(
            CallListLine.objects.filter(list_date=DAY, rep=world.owner).values_list(
                "customer_id", "rank"
            )
        )
        assert ranks == {world.customer.pk: 1, second.pk: 2}
        world.second = second
        yield world


def q(rep, rank=None, day=DAY):
    params = f"?date={day}&rep={rep.pk}"
    return URL + params + (f"&rank={rank}" if rank else "")


def test_summary_shows_contacts_history_needs_and_reason(day_lists, client):
    w = day_lists
    client.force_login(w.owner)
    response = client.get(q(w.owner))  # no rank: the first line not done
    assert response.status_code == 200
    html = response.content.decode()
    assert w.customer.name in html and w.customer.number in html
    assert 'href="tel:138-0000-0000"' in html  # the key person's phone
    assert "KP" in html and "王建国" in html
    assert w.interaction.summary in html  # last interactions
    assert w.need.description in html  # open needs
    assert "Follow-up overdue by" in html
    assert "1 of 2" in html and "0 / 2 done" in html
    assert "rank=2" in html  # next customer link
    assert 'src="/static/js/calling.js"' in html or "js/calling" in html
    assert "<script>" not in html  # no inline code (CSP)


def test_logging_a_call_sets_class_and_moves_to_the_next_undone(
    day_lists, client, django_capture_on_commit_callbacks
):
    w = day_lists
    client.force_login(w.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            q(w.owner, 1),
            {
                "outcome": "reached",
                "channel": "phone",
                "contact": w.contact.pk,
                "summary": "客户确认下周看样品",
                "maturity": "3k",
                "next_action": "发送样品报价",
                "next_action_due": "2026-12-10",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == q(w.owner, 2)
    call = Interaction.objects.get(customer=w.customer, summary="客户确认下周看样品")
    assert call.owner == w.owner and call.contact == w.contact and call.channel == "phone"
    assert call.next_action_due == dt.date(2026, 12, 10)
    assert CustomerMaturity.objects.get(customer=w.customer).value == "3k"
    # the customer service refreshed the next follow-up (key 3: 2–5 working days)
    assert FollowUp.objects.get(customer=w.customer).next_due > DAY
    html = client.get(q(w.owner)).content.decode()  # back to the first undone: rank 2
    assert w.second.name in html and "1 / 2 done" in html


def test_no_answer_needs_no_summary_and_last_line_returns_to_the_list(day_lists, client):
    w = day_lists
    client.force_login(w.owner)
    Interaction.objects.create(
        customer=w.customer,
        owner=w.owner,
        channel="phone",
        summary="早上已联系",
        occurred_at=at(DAY, 8),
    )
    response = client.post(q(w.owner, 2), {"outcome": "no_answer", "channel": "phone"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("followup:calllist"))
    assert Interaction.objects.filter(customer=w.second, summary="No answer").exists()
    # an unchanged class is not rewritten
    assert CustomerMaturity.objects.get(customer=w.second).value == "3k"


def test_form_errors_log_nothing(day_lists, client):
    w = day_lists
    client.force_login(w.owner)
    before = Interaction.objects.count()
    response = client.post(q(w.owner, 1), {"outcome": "reached", "channel": "phone"})
    assert response.status_code == 400
    assert "Say in a sentence what was discussed." in response.content.decode()
    response = client.post(
        q(w.owner, 1),
        {"outcome": "reached", "channel": "phone", "summary": "x", "next_action_due": "2026-12-01"},
    )
    assert response.status_code == 400
    assert "cannot be due in the past" in response.content.decode()
    response = client.post(
        q(w.owner, 1), {"outcome": "reached", "channel": "phone", "summary": "x", "maturity": "9"}
    )
    assert response.status_code == 400
    assert Interaction.objects.count() == before


def test_other_reps_get_404_and_change_nothing(day_lists, client):
    w = day_lists
    before = Interaction.objects.count()
    for persona in ("teammate", "outsider", "other_manager"):
        client.force_login(getattr(w, persona))
        assert client.get(q(w.owner, 1)).status_code == 404, persona
        payload = {"outcome": "reached", "channel": "phone", "summary": "越权记录"}
        assert client.post(q(w.owner, 1), payload).status_code == 404, persona
    assert Interaction.objects.count() == before
    client.force_login(w.owner)
    assert client.get(q(w.owner, 9)).status_code == 404  # not on the list
    assert client.get(q(w.owner, "x")).status_code == 404


def test_manager_works_a_reps_list(day_lists, client):
    w = day_lists
    client.force_login(w.manager)
    html = client.get(q(w.owner, 2)).content.decode()
    assert w.second.name in html and 'href="tel:13911112222"' in html
    assert "rank=1" in html  # previous
    response = client.post(
        q(w.owner, 2), {"outcome": "reached", "channel": "phone", "summary": "经理代打"}
    )
    assert response.status_code == 302
    assert Interaction.objects.get(summary="经理代打").owner == w.manager


def test_empty_list_redirects_to_the_list_page(world, client):
    with time_machine.travel(at(DAY, 9), tick=False):
        client.force_login(world.owner)
        response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("followup:calllist"))


def _row(rank, done):
    return LineRow(
        line=None,
        customer=None,
        url="",
        rank=rank,
        slot="am_golden",
        maturity="",
        maturity_label="",
        tier="",
        reason="",
        overdue_days=0,
        overdue_label="",
        carried_days=0,
        carried_label="",
        done=done,
        for_manager=False,
    )


def test_neighbours_wrap_round_to_the_first_line_not_done():
    rows = [_row(1, False), _row(2, True), _row(3, False), _row(4, True)]
    nav = neighbours(rows, None)
    assert (nav.current.rank, nav.previous, nav.next.rank, nav.next_undone.rank) == (1, None, 2, 3)
    nav = neighbours(rows, 3)
    assert (nav.previous.rank, nav.next.rank, nav.next_undone.rank) == (2, 4, 1)
    nav = neighbours([_row(1, True), _row(2, False)], 2)
    assert nav.next is None and nav.next_undone is None
    with pytest.raises(Http404):
        neighbours(rows, 7)
    with pytest.raises(Http404):
        neighbours([], None)
