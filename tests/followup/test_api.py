"""/api/v1/calllist/, /api/v1/followups/, /api/v1/cadences/ and `guanxi calllist`."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from guanxi.followup.calllist import calllists_build
from guanxi.followup.models import CadenceRule
from guanxi.followup.recompute import followups_recompute

from .conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("before_monday")]
DAY = dt.date(2026, 12, 7)  # Monday


@pytest.fixture
def lists(world, make_customer):
    with time_machine.travel(at(DAY, 7), tick=False):
        make_customer(world.teammate, maturity="1", contacted=dt.date(2026, 12, 4))
        followups_recompute()
        calllists_build(DAY)
        yield world


def test_calllist_scoped_by_visibility(lists, client):
    w = lists
    client.force_login(w.owner)
    rows = client.get(f"/api/v1/calllist/?date={DAY}").json()["results"]
    assert {r["customer"] for r in rows} == {w.customer.pk}
    row = rows[0]
    assert row["reason"] == "overdue" and row["reason_params"]["overdue_days"] > 0
    assert row["reason_text"] and row["slot"] == "am_golden" and row["rank"] == 1
    client.force_login(w.manager)
    assert {r["rep"] for r in names_rows(client)} == {w.owner.username, w.teammate.username}
    client.force_login(w.manager)
    only = client.get(f"/api/v1/calllist/?date={DAY}&rep={w.teammate.username}").json()
    assert {r["rep"] for r in only["results"]} == {w.teammate.username}
    client.force_login(w.outsider)
    assert {r["customer"] for r in names_rows(client)} == {w.other_customer.pk}
    client.force_login(w.director)
    assert len(names_rows(client)) == 3
    assert client.get("/api/v1/calllist/?date=2026-13-01").status_code == 400


def names_rows(client):
    return client.get(f"/api/v1/calllist/?date={DAY}").json()["results"]


def test_followups_overdue_filter(lists, client):
    w = lists
    client.force_login(w.director)
    with time_machine.travel(at(DAY, 9), tick=False):
        all_rows = client.get("/api/v1/followups/").json()["results"]
        overdue = client.get("/api/v1/followups/?overdue=true").json()["results"]
    assert len(all_rows) == 3
    assert {r["customer"] for r in overdue} == {w.customer.pk, w.other_customer.pk}
    assert all(r["overdue"] for r in overdue)


def test_cadences_read_for_all_write_for_managers(world, client):
    client.force_login(world.owner)
    assert client.get("/api/v1/cadences/").status_code == 200
    payload = {"maturity": "3k", "segment": "value:core", "cycle_min": 1, "cycle_max": 3}
    assert (
        client.post("/api/v1/cadences/", payload, content_type="application/json").status_code
        == 403
    )
    client.force_login(world.manager)
    r = client.post("/api/v1/cadences/", payload, content_type="application/json")
    assert r.status_code == 201, r.json()
    assert r.json()["updated_by"]
    again = client.post("/api/v1/cadences/", payload, content_type="application/json")
    assert again.status_code == 400 and "overlaps" in str(again.json())
    bad = client.post(
        "/api/v1/cadences/",
        payload | {"segment": "", "maturity": "9", "cycle_min": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "maturity" in str(bad.json()) and "cycle_min" in str(bad.json())
    rule = CadenceRule.objects.get(maturity="2", touch="call", segment="", age_band="")
    r = client.patch(
        f"/api/v1/cadences/{rule.pk}/", {"cycle_min": -1}, content_type="application/json"
    )
    assert r.status_code == 400
    r = client.patch(
        f"/api/v1/cadences/{rule.pk}/", {"cycle_max": 2}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["cycle_max"] == 2
    client.force_login(world.director)
    assert client.delete(f"/api/v1/cadences/{rule.pk}/").status_code == 204


def test_command_builds_and_prints(world):
    out = StringIO()
    with time_machine.travel(at(DAY, 7), tick=False):
        call_command("calllist", "--date", str(DAY), "--rep", world.owner.username, stdout=out)
    text = out.getvalue()
    assert world.customer.number in text and "overdue" in text
    assert world.other_customer.number not in text
    with time_machine.travel(at(DAY, 7), tick=False):
        again = StringIO()
        call_command("calllist", "--date", str(DAY), "--rep", world.owner.username, stdout=again)
    assert again.getvalue() == text
