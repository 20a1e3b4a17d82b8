"""A rep's day in real Chromium: sign in (Chinese), add a customer, log a call."""

import re

import pytest

from guanxi.customers.models import Customer, Interaction

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_creates_customer_logs_interaction_and_teammate_cannot_open_it(world, new_page):
    page = new_page(locale="zh-CN")
    login(page, "rep_a1", world.password)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("nav").get_by_text("客户").first.is_visible()

    page.goto("/customers/new/")
    page.fill("input[name=name]", "苏州工业园区星辰精密制造有限公司")
    page.select_option("select[name=industry]", "manufacturing")
    page.fill("input[name=phone]", "0512-6688 1234")
    page.locator(".customer-form [type=submit]").click()
    page.wait_for_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name="苏州工业园区星辰精密制造有限公司")
    assert customer.owner == world.owner
    assert re.fullmatch(r"C\d{6}\d{3,}", customer.number)
    assert customer.number in page.content()

    page.locator("#tab-btn-timeline").click()
    form = page.locator(f"form[action='/customers/{customer.pk}/interactions/new/']")
    form.locator("select[name=channel]").select_option("phone")
    form.locator("[name=summary]").fill("首次电话：客户计划扩产，需要自动化设备方案")
    form.locator("[name=next_action]").fill("三天内发送方案及报价")
    form.locator("[name=next_action_due]").fill("2030-01-15")
    form.locator("[type=submit]").click()
    timeline = page.locator(".timeline")
    timeline.get_by_text("首次电话：客户计划扩产").wait_for()
    assert timeline.get_by_text("三天内发送方案及报价").is_visible()
    assert Interaction.objects.filter(customer=customer, owner=world.owner).count() == 1
    assert page.js_errors == []

    other = new_page(locale="zh-CN")
    login(other, "rep_a2", world.password)
    response = other.goto(f"/customers/{customer.pk}/")
    assert response.status == 404
    assert "苏州工业园区星辰精密制造有限公司" not in other.content()


def test_english_browser_gets_english_and_can_switch_to_chinese(world, new_page):
    page = new_page(locale="en-US")
    login(page, "rep_a1", world.password)
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="中文").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_search_by_chinese_fragment_filters_the_list(world, new_page):
    page = new_page(locale="zh-CN")
    login(page, "manager_a", world.password)
    page.fill("input[name=q]", "青山")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    body = page.locator("main").inner_text()
    assert "杭州青山机械制造有限公司" in body
    assert "深圳蓝海电子有限公司" not in body  # other team: never visible to manager_a


def test_phone_layout_hides_sidebar_behind_a_toggle(world, new_page):
    page = new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    login(page, "rep_a1", world.password)
    sidebar = page.locator("#app-sidebar")
    assert not sidebar.is_visible()
    page.locator("[data-bs-toggle='offcanvas'][data-bs-target='#app-sidebar']").click()
    sidebar.wait_for(state="visible")
    assert page.js_errors == []
