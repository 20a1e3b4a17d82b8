"""Change history and export in real Chromium: an edit made through the form shows up as a
field diff on the history pages, and the Export page downloads a BOM-prefixed CSV holding
the rep's contact — all under the CSP, without script errors."""

import re
from pathlib import Path

import pytest

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_edit_shows_in_history_and_export_downloads(world, new_page):
    page = new_page(locale="en-US")
    login(page, "rep_a1", world.password)
    page.goto(f"/customers/{world.customer.pk}/edit/")
    page.fill("input[name=name]", "杭州青山智能装备有限公司")
    page.locator(".customer-form [type=submit]").click()
    page.wait_for_load_state("networkidle")

    page.locator("nav").get_by_role("link", name="Change history").click()
    page.wait_for_url(re.compile(r"/data/audit/$"))
    page.select_option("select[name=action]", "~")
    page.locator("form.filter-bar [type=submit]").click()
    page.wait_for_url(re.compile(r"action=%7E"))  # "~", form-encoded
    row = page.locator("tbody tr").first
    assert "杭州青山智能装备有限公司" in row.inner_text()
    assert "深圳蓝海电子有限公司" not in page.content()
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/data/audit/customer/{world.customer.pk}/$"))
    diff = page.locator("li.list-group-item").last
    assert diff.locator("del").first.inner_text() == "杭州青山机械制造有限公司"
    assert diff.locator("ins").first.inner_text() == "杭州青山智能装备有限公司"

    page.locator("nav").get_by_role("link", name="Export").click()
    page.wait_for_url(re.compile(r"/data/export/$"))
    page.select_option("select[name=kind]", "contacts")
    page.select_option("select[name=language]", "en")
    with page.expect_download() as info:
        page.locator("form.card [type=submit]").click()
    body = Path(info.value.path()).read_bytes().decode("utf-8")
    assert body.startswith("\ufeffCustomer number,Company name,Name")
    assert "王建国" in body and "深圳蓝海电子有限公司" not in body
    assert page.js_errors == []
