"""Cadence rule validation, permissions, the working calendar, capacity, the hook."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.accounts.models import Role
from guanxi.followup import services
from guanxi.followup.models import CadenceRule, FollowUp, WorkCalendarDay
from guanxi.followup.recompute import followup_refresh_on_commit, followups_recompute
from guanxi.followup.selectors import work_calendar
from tests.factories import InteractionFactory, UserFactory

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(role=Role.MANAGER)


def rule(**kw):
    return {"maturity": "3k", "segment": "value:core", "cycle_min": 2, "cycle_max": 4} | kw


def test_defaults_follow_the_spec_table():
    got = {
        r.maturity: (r.cycle_min, r.cycle_max, r.unit)
        for r in CadenceRule.objects.filter(touch="call", segment="", age_band="")
    }
    assert got == {
        "0": (1, 1, "workday"),
        "1": (1, 1, "workday"),
        "2": (1, 3, "workday"),
        "3k": (2, 5, "workday"),
        "3o": (5, 8, "workday"),
        "4k": (5, 7, "workday"),
        "4o": (8, 14, "workday"),
        "5": (1, 1, "month"),
        "6": (1, 1, "month"),
        "7": (1, 1, "month"),
    }


def test_create_a_valid_rule(manager):
    r = services.cadence_rule_create(user=manager, data=rule())
    assert (r.maturity, r.segment, r.updated_by) == ("3k", "value:core", manager)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (rule(cycle_min=0), "cycle_min"),
        (rule(cycle_min=-2), "cycle_min"),
        (rule(cycle_max=0), "cycle_max"),
        (rule(cycle_min=5, cycle_max=3), "cycle_max"),
        (rule(maturity="3"), "maturity"),
        (rule(maturity="9"), "maturity"),
        (rule(segment="value:gold"), "segment"),
        (rule(age_band="old"), "age_band"),
        (rule(unit="fortnight"), "unit"),
        (rule(touch="fax"), "touch"),
    ],
)
def test_invalid_rules_are_rejected_with_a_message(manager, data, field):
    with pytest.raises(ValidationError) as exc:
        services.cadence_rule_create(user=manager, data=data)
    assert field in exc.value.message_dict and exc.value.message_dict[field][0]


def test_overlapping_rule_is_rejected(manager):
    with pytest.raises(ValidationError, match="overlaps active rule"):
        services.cadence_rule_create(
            user=manager, data={"maturity": "3k", "cycle_min": 1, "cycle_max": 2}
        )


def test_update_checks_the_same_rules(manager):
    r = CadenceRule.objects.get(maturity="2", touch="call", segment="", age_band="")
    services.cadence_rule_update(user=manager, rule=r, data={"cycle_max": 4})
    r.refresh_from_db()
    assert r.cycle_max == 4
    with pytest.raises(ValidationError):
        services.cadence_rule_update(user=manager, rule=r, data={"cycle_min": 0})
    with pytest.raises(ValidationError, match="overlaps"):
        services.cadence_rule_update(user=manager, rule=r, data={"maturity": "1"})
    # deactivating the old one frees the scope
    services.cadence_rule_update(user=manager, rule=r, data={"is_active": False})
    services.cadence_rule_create(
        user=manager, data={"maturity": "2", "cycle_min": 2, "cycle_max": 2}
    )


def test_reps_cannot_edit():
    rep = UserFactory()
    with pytest.raises(PermissionDenied):
        services.cadence_rule_create(user=rep, data=rule())
    with pytest.raises(PermissionDenied):
        services.rep_capacity_set(user=rep, rep=rep, capacity=0)


def test_calendar_year_is_replaced(manager):
    services.calendar_set_year(
        user=manager, year=2027, holidays=[dt.date(2027, 1, 1)], makeup_days=[dt.date(2027, 1, 9)]
    )
    cal = work_calendar()
    assert not cal.is_working_day(dt.date(2027, 1, 1))
    assert cal.is_working_day(dt.date(2027, 1, 9))  # a Saturday
    assert not cal.is_working_day(dt.date(2026, 10, 1))  # seeded 2026 untouched
    assert WorkCalendarDay.objects.filter(day__year=2027).count() == 2
    with pytest.raises(ValidationError):
        services.calendar_set_year(
            user=manager, year=2027, holidays=[dt.date(2028, 1, 1)], makeup_days=[]
        )
    with pytest.raises(ValidationError):
        services.calendar_set_year(
            user=manager,
            year=2027,
            holidays=[dt.date(2027, 1, 9)],
            makeup_days=[dt.date(2027, 1, 9)],
        )


def test_the_hook_recomputes_after_commit(make_customer, django_capture_on_commit_callbacks):
    with time_machine.travel(at(dt.date(2026, 6, 1), 9), tick=False) as t:
        rep = UserFactory()
        c = make_customer(rep, maturity="3o")  # a customer for 2 months: no age band rules
        t.move_to(at(dt.date(2026, 7, 27), 9))
        followups_recompute()
        assert FollowUp.objects.get(customer=c).last_contact_on is None
        with django_capture_on_commit_callbacks(execute=True):
            InteractionFactory(customer=c, occurred_at=at(dt.date(2026, 7, 27), 10))  # Mon
            followup_refresh_on_commit(c.pk)
            assert FollowUp.objects.get(customer=c).last_contact_on is None  # not yet
        fu = FollowUp.objects.get(customer=c)
        assert (fu.last_contact_on, fu.next_due, fu.deadline, fu.touch) == (
            dt.date(2026, 7, 27),
            dt.date(2026, 8, 3),
            dt.date(2026, 8, 6),
            "call",
        )


def test_new_customer_gets_the_weekly_check_in(make_customer):
    with time_machine.travel(at(dt.date(2026, 11, 23), 9), tick=False):
        c = make_customer(UserFactory(), maturity="4o", contacted=dt.date(2026, 11, 20))
        followups_recompute()
        fu = FollowUp.objects.get(customer=c)
        assert (fu.touch, fu.next_due) == ("check_in", dt.date(2026, 11, 27))


def test_maturity_change_moves_the_date(make_customer):
    with time_machine.travel(at(dt.date(2026, 9, 1), 9), tick=False) as t:
        c = make_customer(UserFactory(), maturity="4o", contacted=dt.date(2026, 11, 20))
        t.move_to(at(dt.date(2026, 11, 23), 9))  # 2 months: no age-band rules yet
        followups_recompute()
        assert FollowUp.objects.get(customer=c).next_due == dt.date(2026, 12, 2)
        c.maturity.value = "1"
        c.maturity.save()
        followups_recompute(customer_id=c.pk)
        assert FollowUp.objects.get(customer=c).next_due == dt.date(2026, 11, 23)
