"""Daily activity report (销售活动日报): `guanxi.followup.activity` against a small
hand-built day (frozen clock, Asia/Shanghai), visibility, and the exports."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from python_calamine import CalamineWorkbook

from guanxi.accounts.models import Role
from guanxi.customers.models import CustomerCollaborator
from guanxi.followup import activity, monitoring
from guanxi.scoring.models import ScoreChange
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    NeedFactory,
    OrderFactory,
    TeamFactory,
    UserFactory,
)

from .test_monitoring import line, local

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2026, 11, 25)


@pytest.fixture
def day_data(make_customer):
    with time_machine.travel(local(D(2026, 11, 1), 9), tick=False) as clock:
        team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
        ma = UserFactory(username="ma", role=Role.MANAGER, team=team_a)
        team_a.manager = ma
        team_a.save()
        r1 = UserFactory(username="r1", team=team_a)
        r2 = UserFactory(username="r2", team=team_a)
        r3 = UserFactory(username="r3", team=team_b)
        c1 = make_customer(r1, "3k")
        c2 = make_customer(r1, "3o")
        d1 = make_customer(r2, "2")
        e1 = make_customer(r3, "3k")  # team B; r1 collaborates on it
        CustomerCollaborator.objects.create(customer=e1, user=r1)
        OrderFactory(customer=c1, ordered_on=DAY - dt.timedelta(days=1))  # yesterday
        clock.move_to(local(DAY, 8))
        c_new = CustomerFactory(owner=r1, name="今日新客户")  # created today
        clock.move_to(local(DAY, 18))
        i1 = InteractionFactory(
            customer=c1,
            occurred_at=local(DAY, 9),
            channel="phone",
            summary='=HYPERLINK("http://evil")',
            feedback="预算确认",
            next_action="发送合同",
            next_action_due=D(2026, 11, 27),
        )
        InteractionFactory(customer=c2, occurred_at=local(DAY, 23, 59), channel="wechat")
        InteractionFactory(customer=c2, occurred_at=local(DAY, 0, 0), channel="phone")
        InteractionFactory(customer=c2, occurred_at=local(DAY - dt.timedelta(days=1), 23, 59))
        InteractionFactory(customer=d1, occurred_at=local(DAY, 11), channel="visit")
        # r1 logs on e1 (team B's customer): only r1 and team B see it
        InteractionFactory(customer=e1, occurred_at=local(DAY, 14), channel="phone", owner=r1)
        OrderFactory(customer=c1, ordered_on=DAY, amount=Decimal("1000.50"))
        OrderFactory(customer=d1, ordered_on=DAY, amount=Decimal("200"))
        NeedFactory(customer=c1)  # created today, r1 responsible
        ScoreChange.objects.create(
            customer=c1,
            dimension="maturity",
            from_value="3k",
            to_value="2",
            changed_at=local(DAY, 9, 5),
            as_of=DAY,
            cause="manual",
            changed_by=r1,
        )
        line(r1, c1, DAY, DAY, DAY, rank=1)  # done at 09:00
        line(r1, c_new, DAY, DAY, DAY, rank=2)  # not done
        line(r2, d1, DAY, DAY, DAY, rank=1)  # done at 11:00
        line(r2, c2, DAY, DAY, DAY, rank=2, for_manager=True)  # hand-over line: not r2's plan
        yield {
            "ma": ma,
            "r1": r1,
            "r2": r2,
            "r3": r3,
            "c1": c1,
            "c2": c2,
            "d1": d1,
            "e1": e1,
            "c_new": c_new,
            "i1": i1,
        }


def summary(viewer, *reps):
    return activity.team_summary(viewer, list(reps), DAY)


def test_team_summary(day_data):
    ma, r1, r2 = day_data["ma"], day_data["r1"], day_data["r2"]
    rows, total = summary(ma, r1, r2)
    one, two = rows
    # r1: c1 09:00, c2 00:00 and 23:59 (local day), not yesterday's; e1 not visible to ma
    assert (one.interactions, one.customers) == (3, 2)
    assert one.by_channel == {"phone": 2, "wechat": 1}
    assert (one.with_next_action, one.with_feedback) == (1, 1)
    assert (one.new_customers, one.orders, one.order_amount) == (1, 1, Decimal("1000.50"))
    assert (one.needs, one.class_moves) == (1, 1)
    assert (one.planned, one.done, one.done_rate) == (2, 1, 50.0)
    assert (two.interactions, two.by_channel, two.orders) == (1, {"visit": 1}, 1)
    assert (two.planned, two.done) == (1, 1)  # the for-manager line is not r2's plan
    assert (total.interactions, total.customers, total.orders) == (4, 3, 2)
    assert total.order_amount == Decimal("1200.50")
    assert total.by_channel == {"phone": 2, "wechat": 1, "visit": 1}
    assert (total.planned, total.done) == (3, 2)


def test_rep_own_report_includes_collaborations(day_data):
    r1 = day_data["r1"]
    rows, total = summary(r1, r1)
    assert rows[0].interactions == 4  # e1 is visible to its collaborator
    report = activity.day_report(r1, [r1.pk], DAY)
    assert day_data["e1"] in [i.customer for i in report.contacts]


def test_day_report_lists(day_data):
    ma, r1, r2 = day_data["ma"], day_data["r1"], day_data["r2"]
    report = activity.day_report(ma, [r1.pk, r2.pk], DAY)
    assert [i.customer for i in report.contacts] == [
        day_data["c2"],
        day_data["c1"],
        day_data["d1"],
        day_data["c2"],
    ]  # by time: 00:00, 09:00, 11:00, 23:59
    assert day_data["e1"] not in [i.customer for i in report.contacts]
    assert report.by_content == {"value": 4}
    assert report.new_customers == [day_data["c_new"]]
    assert sorted(o.amount for o in report.orders) == [Decimal("200"), Decimal("1000.50")]
    assert [n.customer for n in report.needs] == [day_data["c1"]]
    assert [(m.from_value, m.to_value) for m in report.class_moves] == [("3k", "2")]
    assert [line.customer for line in report.not_done] == [day_data["c_new"]]
    assert report.maturity[day_data["c1"].pk] == "3k"


def test_outsider_team_sees_nothing_of_team_a(day_data):
    r3 = day_data["r3"]
    ids = [day_data["r1"].pk, day_data["r2"].pk]
    report = activity.day_report(r3, ids, DAY)
    # only what happened on r3's own customer (logged there by r1 as collaborator)
    assert [i.customer for i in report.contacts] == [day_data["e1"]]
    assert report.orders == [] and report.new_customers == [] and report.needs == []
    assert not monitoring.monitored_reps(r3).filter(pk__in=ids).exists()


def test_csv_export_bom_and_formula_neutralised(day_data):
    ma, r1 = day_data["ma"], day_data["r1"]
    report = activity.day_report(ma, [r1.pk], DAY)
    text = "".join(activity.contacts_csv_rows(report))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "Rep" and len(rows) == 4
    summaries = [r[8] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in summaries


def test_xlsx_export(day_data):
    ma, r1, r2 = day_data["ma"], day_data["r1"], day_data["r2"]
    rows, total = summary(ma, r1, r2)
    report = activity.day_report(ma, [r1.pk, r2.pk], DAY)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(activity.activity_workbook(rows, total, report)))
    assert wb.sheet_names == ["Summary", "Contacts", "Orders", "New customers", "Needs"]
    summary_rows = wb.get_sheet_by_name("Summary").to_python()
    assert summary_rows[0][:3] == ["Rep", "Interactions", "Customers contacted"]
    assert summary_rows[3][:3] == ["Total", 4.0, 3.0]
    contacts = wb.get_sheet_by_name("Contacts").to_python()
    assert '\'=HYPERLINK("http://evil")' in [r[8] for r in contacts[1:]]


def test_pages_and_exports_over_http(day_data, client):
    ma, r1, r2 = day_data["ma"], day_data["r1"], day_data["r2"]
    with time_machine.travel(local(DAY, 20), tick=False):
        client.force_login(ma)
        url = reverse("followup:activity") + f"?date={DAY.isoformat()}"
        body = client.get(url).content.decode()
        assert day_data["c1"].name in body and day_data["e1"].name not in body
        assert f'data-rep="{r1.pk}"' in body and f'data-rep="{r2.pk}"' in body
        export = reverse("followup:activity_export") + f"?date={DAY.isoformat()}"
        response = client.get(export + "&format=csv")
        assert response["Content-Type"].startswith("text/csv")
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff") and day_data["e1"].name not in text
        response = client.get(export + "&format=xlsx")
        assert response["Content-Type"] == activity.XLSX
        assert client.get(export + "&format=pdf").status_code == 404
        # a rep: own report only; another rep by id is a 404
        client.force_login(r2)
        body = client.get(url).content.decode()
        assert day_data["d1"].name in body and day_data["c1"].name not in body
        assert client.get(url + f"&rep={r1.pk}").status_code == 404
        assert client.get(export + f"&format=csv&rep={r1.pk}").status_code == 404
        # a future day is refused (the form falls back to today)
        future = reverse("followup:activity") + "?date=2026-12-25"
        assert client.get(future).status_code == 200


def test_page_limit_and_first_classification(day_data):
    ma, r1 = day_data["ma"], day_data["r1"]
    ScoreChange.objects.create(
        customer=day_data["c2"],
        dimension="maturity",
        from_value="",
        to_value="3o",
        changed_at=local(DAY, 7),
        as_of=DAY,
        cause="data",
    )  # first classification: not a move
    report = activity.day_report(ma, [r1.pk], DAY, limit=1)
    assert len(report.contacts) == 1 and report.by_content == {"value": 3}
    assert [m.customer for m in report.class_moves] == [day_data["c1"]]
    rows, _total = summary(ma, r1)
    assert rows[0].class_moves == 1


def test_date_picker_is_iso_in_chinese_too(day_data, client):
    client.force_login(day_data["ma"])
    url = reverse("followup:activity") + f"?date={DAY.isoformat()}"
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in body
    assert f'type="date" name="date" value="{DAY.isoformat()}"' in body
