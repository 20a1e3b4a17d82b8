"""Manager monitoring in real Chromium: the charts render under the CSP, a number
and a chart bar both drill down to the customers behind them, and a rep sees only
their own row."""

import re
from pathlib import Path

import pytest

from guanxi.followup.recompute import followups_recompute

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_monitoring_charts_and_drill_down(world, new_page):
    followups_recompute()
    page = new_page(locale="en-US")
    login(page, "manager_a", world.password)
    page.locator("nav").get_by_role("link", name="Monitoring").click()
    page.wait_for_url(re.compile(r"/followup/monitoring/$"))
    page.wait_for_load_state("networkidle")
    # a row per rep of team A, none of team B
    assert page.locator(f'#stock-table tr[data-rep="{world.owner.pk}"]').count() == 1
    assert page.locator(f'#stock-table tr[data-rep="{world.teammate.pk}"]').count() == 1
    assert page.locator(f'tr[data-rep="{world.outsider.pk}"]').count() == 0
    # ECharts drew on a canvas (loaded by monitoring.js, no inline script)
    for chart in ("#stock-chart", "#calls-chart", "#plan-chart"):
        page.locator(f"{chart} canvas").first.wait_for()
        assert page.locator(chart).get_attribute("data-chart-ready") == "1"
    assert page.js_errors == []

    # a number of the stock table opens the customers behind it
    row = page.locator(f'#stock-table tr[data-rep="{world.owner.pk}"]')
    row.locator("td.fw-semibold a").click()  # the rep's total
    page.wait_for_url(re.compile(r"/followup/monitoring/customers/\?"))
    assert page.locator("#drill-table").get_by_text(world.customer.name).is_visible()
    assert "深圳蓝海电子有限公司" not in page.content()

    # a click on the rep's bar of the stock chart drills down too
    page.go_back()
    page.wait_for_load_state("networkidle")
    page.locator("#stock-chart canvas").first.wait_for()
    page.locator("#stock-chart").scroll_into_view_if_needed()
    page.wait_for_timeout(1200)  # let the bars finish growing
    point = page.evaluate(
        """() => {
          const el = document.getElementById("stock-chart");
          const chart = window.echarts.getInstanceByDom(el);
          const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [0.3, 0]);
          const box = el.getBoundingClientRect();
          return [box.left + x, box.top + y];
        }"""
    )
    page.mouse.click(point[0], point[1])
    page.wait_for_url(re.compile(r"metric=stock"))
    assert page.locator("#drill-table").get_by_text(world.customer.name).is_visible()
    assert page.js_errors == []


def test_rep_sees_only_their_own_row(world, new_page):
    page = new_page(locale="en-US")
    login(page, "rep_a2", world.password)
    page.goto("/followup/monitoring/")
    assert page.locator(f'tr[data-rep="{world.teammate.pk}"]').count() >= 1
    assert page.locator(f'tr[data-rep="{world.owner.pk}"]').count() == 0
    assert page.locator("select[name=rep]").count() == 0  # no picker for a rep
    response = page.goto(f"/followup/monitoring/customers/?rep={world.owner.pk}&metric=all")
    assert response.status == 404
    assert world.customer.name not in page.content()
    assert page.js_errors == [] or all("404" in e for e in page.js_errors)


def test_manager_opens_the_activity_report(world, new_page):
    page = new_page(locale="en-US")
    login(page, "manager_a", world.password)
    page.locator("nav").get_by_role("link", name="Activity report").click()
    page.wait_for_url(re.compile(r"/followup/activity/$"))
    assert page.locator(f'#team-summary tr[data-rep="{world.owner.pk}"]').count() == 1
    assert page.locator("#contacts").get_by_text(world.interaction.summary).is_visible()
    assert page.locator(f'tr[data-rep="{world.outsider.pk}"]').count() == 0
    # the rep's name opens their own report
    page.locator(f'#team-summary tr[data-rep="{world.owner.pk}"] a').click()
    page.wait_for_url(re.compile(rf"rep={world.owner.pk}"))
    assert page.locator("#team-summary").count() == 0
    assert page.locator("#contacts").get_by_text(world.customer.name).is_visible()
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert world.customer.name in text
    assert page.js_errors == []
