"""Cadence rules, working calendar and call capacity pages: who reads, who writes,
and that the services' validation messages reach the page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from guanxi.followup.forms import DateListField
from guanxi.followup.models import CadenceRule, RepCapacity, WorkCalendarDay

pytestmark = pytest.mark.django_db

NEW = reverse("followup:cadence_create")


def rule_data(**kw):
    return {
        "maturity": "7",
        "segment": "four:potential",
        "age_band": "",
        "touch": "visit",
        "cycle_min": "2",
        "cycle_max": "3",
        "unit": "week",
        "is_active": "on",
        "note": "潜力客户拜访",
    } | kw


def test_everyone_reads_rules_grouped_by_scope(world, client):
    client.force_login(world.owner)
    response = client.get(reverse("followup:cadences"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Key 3 — KP with clear intent" in html  # a class scope group
    assert "Customer class: High value" in html  # a segment scope group
    assert "New customer (first month)" in html  # a relationship-age scope group
    assert "Read only" in html and NEW not in html


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider"])
def test_reps_cannot_write(world, client, persona):
    rule = CadenceRule.objects.filter(is_active=True).first()
    client.force_login(getattr(world, persona))
    before = list(CadenceRule.objects.values_list("pk", "cycle_min", "is_active"))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, rule_data()).status_code == 403
    edit = reverse("followup:cadence_edit", args=[rule.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, rule_data(cycle_min="1")).status_code == 403
    assert client.post(reverse("followup:cadence_toggle", args=[rule.pk])).status_code == 403
    assert list(CadenceRule.objects.values_list("pk", "cycle_min", "is_active")) == before


def test_manager_creates_edits_and_deactivates_a_rule(world, client):
    client.force_login(world.manager)
    assert client.post(NEW, rule_data()).status_code == 302
    rule = CadenceRule.objects.get(segment="four:potential", touch="visit")
    assert (rule.maturity, rule.cycle_min, rule.cycle_max, rule.unit) == ("7", 2, 3, "week")
    assert rule.updated_by == world.manager
    client.force_login(world.director)
    edit = reverse("followup:cadence_edit", args=[rule.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, rule_data(cycle_max="4")).status_code == 302
    rule.refresh_from_db()
    assert rule.cycle_max == 4 and rule.updated_by == world.director
    client.post(reverse("followup:cadence_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.is_active
    html = client.get(reverse("followup:cadences")).content.decode()
    assert "Reactivate" in html and "rule-inactive" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"cycle_min": "0"}, "The cycle must be a positive whole number."),
        ({"cycle_min": "-3"}, "The cycle must be a positive whole number."),
        ({"cycle_min": "5", "cycle_max": "2"}, "upper bound is below its lower bound"),
        ({"maturity": "9"}, "Select a valid choice"),
        ({"unit": "year"}, "Select a valid choice"),
        # the seeded defaults hold an active rule for key 3 / call
        (
            {"maturity": "3k", "segment": "", "touch": "call", "unit": "workday"},
            "overlaps active rule",
        ),
    ],
)
def test_invalid_rules_are_refused_with_a_message(world, client, data, message):
    client.force_login(world.manager)
    count = CadenceRule.objects.count()
    response = client.post(NEW, rule_data(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert CadenceRule.objects.count() == count


def test_reactivating_into_an_overlap_is_refused(world, client):
    client.force_login(world.admin)
    active = CadenceRule.objects.get(maturity="3k", segment="", age_band="", touch="call")
    twin = CadenceRule.objects.create(
        maturity="3k", touch="call", cycle_min=1, cycle_max=2, is_active=False
    )
    response = client.post(reverse("followup:cadence_toggle", args=[twin.pk]), follow=True)
    assert "overlaps" in response.content.decode()
    twin.refresh_from_db()
    active.refresh_from_db()
    assert not twin.is_active and active.is_active


# --- working calendar -------------------------------------------------------------------


def test_calendar_grid_and_who_edits(world, client):
    url = reverse("followup:calendar") + "?year=2026"
    client.force_login(world.owner)
    html = client.get(url).content.decode()
    assert "cal-holiday" in html and "cal-makeup" in html  # seeded 2026
    assert 'title="2026-10-01 · Holiday"' in html
    assert 'name="holidays"' not in html
    assert client.post(url, {"holidays": "2026-05-05"}).status_code == 403
    client.force_login(world.manager)  # managers read only here
    assert client.post(url, {"holidays": "2026-05-05"}).status_code == 403
    assert client.get(reverse("followup:calendar") + "?year=x").status_code == 404


def test_director_replaces_a_year(world, client):
    url = reverse("followup:calendar") + "?year=2027"
    client.force_login(world.director)
    assert 'name="holidays"' in client.get(url).content.decode()
    response = client.post(
        url, {"holidays": "2027-01-01\n2027-10-01..2027-10-03", "makeup_days": "2027-09-26"}
    )
    assert response.status_code == 302
    rows = dict(WorkCalendarDay.objects.filter(day__year=2027).values_list("day", "is_working"))
    assert rows == {
        dt.date(2027, 1, 1): False,
        dt.date(2027, 10, 1): False,
        dt.date(2027, 10, 2): False,
        dt.date(2027, 10, 3): False,
        dt.date(2027, 9, 26): True,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holidays": "2027-02-30"}, "is not a date"),
        ({"holidays": "2026-12-31"}, "Every date must fall in 2027."),
        ({"holidays": "2027-05-01", "makeup_days": "2027-05-01"}, "both a holiday and a make-up"),
    ],
)
def test_calendar_errors(world, client, data, message):
    client.force_login(world.admin)
    response = client.post(reverse("followup:calendar") + "?year=2027", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()


# --- call capacity ----------------------------------------------------------------------


def test_capacity_page_per_persona(world, client):
    url = reverse("followup:capacity")
    client.force_login(world.owner)
    assert client.get(url).status_code == 403
    assert client.post(url, {"rep": world.owner.pk, "capacity": 99}).status_code == 403
    client.force_login(world.manager)
    html = client.get(url).content.decode()
    assert f'id="capacity-{world.owner.pk}"' in html
    assert f'id="capacity-{world.teammate.pk}"' in html
    assert f'id="capacity-{world.outsider.pk}"' not in html
    payload = {"rep": world.outsider.pk, "capacity": 0, "am_golden": 0, "pm_golden": 0}
    assert client.post(url, payload).status_code == 404
    assert not RepCapacity.objects.exists()


def test_manager_sets_leave_and_split(world, client):
    url = reverse("followup:capacity")
    client.force_login(world.manager)
    payload = {"rep": world.owner.pk, "capacity": 0, "am_golden": 0, "pm_golden": 0}
    assert client.post(url, payload).status_code == 302
    assert RepCapacity.objects.get(user=world.owner).capacity == 0
    assert "On leave" in client.get(url).content.decode()
    payload = {"rep": world.teammate.pk, "capacity": 30, "am_golden": 20, "pm_golden": 20}
    response = client.post(url, payload)
    assert response.status_code == 400
    assert "exceed the calls per day" in response.content.decode()
    payload = {"rep": world.teammate.pk, "capacity": 40, "am_golden": 10, "pm_golden": 20}
    assert client.post(url, payload).status_code == 302
    cap = RepCapacity.objects.get(user=world.teammate)
    assert (cap.capacity, cap.am_golden, cap.pm_golden) == (40, 10, 20)


def test_date_list_field_parses_lines_commas_and_ranges():
    field = DateListField(required=False)
    got = field.clean("2027-01-01, 2027-02-10..2027-02-12\n2027-01-01；2027-03-01")
    assert got == [
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 10),
        dt.date(2027, 2, 11),
        dt.date(2027, 2, 12),
        dt.date(2027, 3, 1),
    ]
    assert field.clean("") == []
    for bad in ("2027-02-12..2027-02-10", "2027-01-01..2027-06-01", "tomorrow"):
        with pytest.raises(ValidationError):
            field.clean(bad)
