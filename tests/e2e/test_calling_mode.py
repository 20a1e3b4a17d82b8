"""Calling mode in real Chromium: a rep opens the call list, works it with the
keyboard (type, Ctrl+Enter, P/N), and the page holds up on a phone."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from guanxi.customers.models import Interaction
from guanxi.followup.calllist import calllists_build
from guanxi.followup.models import CallListLine
from guanxi.followup.recompute import followups_recompute
from guanxi.scoring.models import CustomerMaturity
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def todays_list(world):
    """Two customers of rep_a1 due today (a key-3 one and a never-classified one,
    both overdue), in rank order."""
    long_ago = timezone.now() - dt.timedelta(days=30)
    first = CustomerFactory(owner=world.owner, name="宁波东方模具有限公司")
    CustomerMaturity.objects.create(customer=first, value="3k", since=long_ago)
    ContactFactory(customer=first, name="陈经理", phone="138 5555 6666", is_key_person=True)
    InteractionFactory(customer=first, occurred_at=long_ago)
    second = CustomerFactory(owner=world.owner, name="无锡华润精工有限公司")
    ContactFactory(customer=second, name="周工", phone="139 7777 8888", is_key_person=True)
    InteractionFactory(customer=second, occurred_at=long_ago)
    Interaction.objects.filter(customer=world.customer).update(occurred_at=timezone.now())
    today = timezone.localdate()
    followups_recompute(today=today)
    calllists_build(today)
    ranked = CallListLine.objects.filter(list_date=today, rep=world.owner).order_by("rank")
    return tuple(line.customer for line in ranked)


def test_rep_works_the_list_with_the_keyboard(world, todays_list, new_page):
    first, second = todays_list
    page = new_page(locale="en-US")
    login(page, "rep_a1", world.password)
    page.get_by_role("link", name="Call list").first.click()
    page.wait_for_url(re.compile(r"/followup/calllist/"))
    assert page.locator("#calllist-progress").inner_text() == "0 / 2 done"
    page.locator("#start-calling").click()
    page.wait_for_url(re.compile(r"/followup/calling/"))
    assert page.locator("#calling-customer").inner_text() == first.name
    assert page.locator("a[href^='tel:13']").first.is_visible()

    # the summary has the focus: type, pick "ordinary 3" with one click, Ctrl+Enter saves
    page.keyboard.type("客户要求下周寄样品")
    assert page.locator("textarea[name=summary]").input_value() == "客户要求下周寄样品"
    page.locator("label[for='mt-3o']").click()
    page.locator("textarea[name=summary]").focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"rank=2"))
    assert page.locator("#calling-customer").inner_text() == second.name
    assert page.locator("#calling-progress").inner_text() == "1 / 2 done"
    call = Interaction.objects.get(customer=first, summary="客户要求下周寄样品")
    assert call.owner == world.owner
    assert CustomerMaturity.objects.get(customer=first).value == "3o"

    # P and N move along the list when not typing in a field
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("p")
    page.wait_for_url(re.compile(r"rank=1"))
    assert page.locator("#calling-done").is_visible()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"rank=2"))
    assert page.js_errors == []


def test_calling_mode_fits_a_phone(world, todays_list, new_page):
    first, _second = todays_list
    page = new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    login(page, "rep_a1", world.password)
    page.goto("/followup/calllist/")
    call_start = timezone.now()
    page.locator("#start-calling").click()
    page.wait_for_url(re.compile(r"/followup/calling/"))
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert not page.locator("#app-sidebar").is_visible()
    tel = page.locator("a[href^='tel:']").first
    assert tel.is_visible() and tel.bounding_box()["height"] >= 44
    submit = page.locator("#calling-submit")
    assert submit.bounding_box()["height"] >= 44
    # no summary needed when nobody answered: one tap on the outcome, one on save
    page.locator("label[for='id_outcome_1']").click()
    submit.click()
    page.wait_for_url(re.compile(r"rank=2"))
    # the outcome is the summary ("No answer" in the user's language)
    assert Interaction.objects.filter(customer=first, occurred_at__gte=call_start).count() == 1
    assert page.js_errors == []
