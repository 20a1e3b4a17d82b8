"""Import in real Chromium: a GBK CSV with Chinese headers, mapping, preview, confirm."""

import re

import pytest
from huey.contrib.djhuey import HUEY

from guanxi.customers.models import Customer

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "客户名称,行业,年销售额(万元),联系电话,微信群\n"
    "温州瓯江阀门有限公司,制造业,350,0577-8888 1234,阀门群\n"
    "台州椒江塑料有限公司,造火箭,20,,\n"
    "金华婺城五金有限公司,批发,12.5,13900001111,\n"
)


@pytest.fixture
def huey_immediate(monkeypatch):
    monkeypatch.setattr(HUEY, "immediate", True)


def test_rep_imports_a_gbk_csv(world, new_page, tmp_path, huey_immediate):
    path = tmp_path / "客户清单.csv"
    path.write_bytes(CSV.encode("gbk"))
    page = new_page(locale="zh-CN")
    login(page, "rep_a1", world.password)
    page.locator("nav a[href='/data/import/']").first.click()
    page.wait_for_url(re.compile(r"/data/import/$"))
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=kind]", "customers")
    page.locator("form.import-upload [type=submit]").click()
    page.wait_for_url(re.compile(r"/data/import/\d+/mapping/$"))

    # auto-mapped from the Chinese headers; the unit 万元 is understood
    row = page.locator("tr.mapping-row[data-header='客户名称']")
    assert row.locator("select").first.input_value() == "name"
    revenue = page.locator("tr.mapping-row[data-header='年销售额(万元)'] select")
    assert revenue.nth(0).input_value() == "annual_revenue"
    assert revenue.nth(1).input_value() == "10000"
    assert "温州瓯江阀门有限公司" in page.content()
    page.locator("tr.mapping-row[data-header='微信群'] select").first.select_option("__notes__")
    page.locator("form.import-mapping [type=submit]").click()
    page.wait_for_url(re.compile(r"/data/import/\d+/preview/$"))

    assert page.locator("[data-count=new]").inner_text() == "2"
    assert page.locator("[data-count=error]").inner_text() == "1"
    errors = page.locator("table.import-errors").inner_text()
    assert "3" in errors and "行业" in errors and "造火箭" in errors
    assert page.locator("form.import-confirm").count() == 0  # all-or-nothing by default
    assert not Customer.objects.filter(name="温州瓯江阀门有限公司").exists()

    page.locator("a.import-back").click()
    page.wait_for_url(re.compile(r"/mapping/$"))
    page.check("input[name=valid_only]")
    page.locator("form.import-mapping [type=submit]").click()
    page.wait_for_url(re.compile(r"/preview/$"))
    page.locator("form.import-confirm [type=submit]").click()
    page.wait_for_url(re.compile(r"/data/jobs/\d+/$"))
    page.locator("#job-progress[data-status=done]").wait_for()

    valve = Customer.objects.get(name="温州瓯江阀门有限公司")
    assert valve.owner == world.owner and str(valve.annual_revenue) == "3500000.00"
    assert valve.notes == "微信群: 阀门群"
    assert Customer.objects.get(name="金华婺城五金有限公司").industry == "wholesale"
    assert not Customer.objects.filter(name="台州椒江塑料有限公司").exists()
    assert page.js_errors == []
