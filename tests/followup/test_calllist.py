"""Daily call lists: priority order, capacity, golden-hour slots, rollover, leave,
idempotency, crash safety, SQL-vs-pure agreement, the morning job's calendar."""

import datetime as dt
import random

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from guanxi.followup import calllist as calllist_mod
from guanxi.followup.calllist import calllists_build, due_counts
from guanxi.followup.models import CallList, CallListLine, CallListRun, FollowUp, RepCapacity
from guanxi.followup.priority import LineFacts, priority
from guanxi.followup.recompute import followups_recompute
from guanxi.followup.tasks import morning_calllists
from tests.factories import InteractionFactory, UserFactory

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date
MON = D(2026, 11, 23)  # Monday; 2026-11-27 is a Friday


def lines(day, rep=None):
    qs = CallListLine.objects.filter(list_date=day).order_by("rep_id", "for_manager", "rank")
    if rep is not None:
        qs = qs.filter(rep=rep)
    return list(
        qs.values_list(
            "rep_id",
            "customer_id",
            "rank",
            "slot",
            "bucket",
            "reason",
            "first_listed_on",
            "for_manager",
        )
    )


def build(day):
    followups_recompute(today=day)
    return calllists_build(day)


@pytest.fixture
def frozen():
    with time_machine.travel(at(MON, 7), tick=False) as traveller:
        yield traveller


@pytest.fixture
def book(frozen, make_customer):
    """A rep whose customers created a month ago, one per class, all last contacted
    on Thursday Nov 12, 2026, plus one never contacted (class 0, due)."""
    frozen.move_to(at(D(2026, 10, 20), 9))
    rep = UserFactory(username="rep_fu")
    contacted = D(2026, 11, 12)
    cs = {
        m: make_customer(rep, maturity=m, contacted=contacted)
        for m in ("1", "2", "3k", "3o", "4k", "4o", "5", "6", "7")
    }
    cs["new"] = make_customer(rep)
    frozen.move_to(at(MON, 7))
    return rep, cs


def test_priority_order_and_reasons(book):
    rep, cs = book
    build(MON)
    got = [(r[1], r[5]) for r in lines(MON, rep)]
    # Nov 12 + cycles: 1,2 daily/1–3 (due); 3k deadline 19 → overdue; 3o deadline
    # Nov 24 → due (19) not overdue; 4k deadline 23 → due; 4o due 24 → not yet;
    # 5/6/7 monthly (Dec 14) → not yet; the never-contacted class 0 customer was due
    # the day it was created (Oct 20) → overdue, and before 3k (earlier deadline).
    assert got == [
        (cs["1"].pk, "class_1"),
        (cs["2"].pk, "class_2"),
        (cs["new"].pk, "overdue"),
        (cs["3k"].pk, "overdue"),
        (cs["3o"].pk, "ordinary_3"),
        (cs["4k"].pk, "pool"),
    ]
    assert [r[2] for r in lines(MON, rep)] == [1, 2, 3, 4, 5, 6]


def test_capacity_and_golden_hour_slots(book):
    rep, _cs = book
    RepCapacity.objects.create(user=rep, capacity=5, am_golden=2, pm_golden=2)
    build(MON)
    rows = lines(MON, rep)
    assert [r[3] for r in rows] == ["am_golden", "am_golden", "pm_golden", "pm_golden", "off_peak"]
    cl = CallList.objects.get(list_date=MON, rep=rep)
    assert (cl.capacity, cl.on_leave) == (5, False)
    assert due_counts(MON, [rep.pk]) == {rep.pk: 6}


def test_running_twice_gives_the_same_lists(book):
    build(MON)
    first = lines(MON)
    build(MON)
    assert lines(MON) == first
    assert CallListRun.objects.get(list_date=MON).status == "done"


def test_rollover_keeps_first_listed_date_until_done(book, frozen):
    rep, cs = book
    build(MON)
    tue = D(2026, 11, 24)
    frozen.move_to(at(tue, 7))
    InteractionFactory(customer=cs["2"], occurred_at=at(MON, 11))  # called on Monday
    build(tue)
    by_customer = {r[1]: r for r in lines(tue, rep)}
    assert by_customer[cs["1"].pk][6] == MON  # not called: carried over from Monday
    assert by_customer[cs["2"].pk][6] == tue  # called on Monday: due again, age reset


def test_crash_mid_job_leaves_previous_lists_intact(book, monkeypatch, frozen):
    build(MON)
    before = lines(MON)
    tue = D(2026, 11, 24)
    frozen.move_to(at(tue, 7))
    build(tue)
    tue_before = lines(tue)
    real = calllist_mod._lists_sql

    def boom():
        raise RuntimeError("worker killed")

    monkeypatch.setattr(calllist_mod, "_lists_sql", boom)
    with pytest.raises(RuntimeError):
        calllists_build(tue)  # lines were deleted and re-inserted, then the crash
    monkeypatch.setattr(calllist_mod, "_lists_sql", real)
    assert lines(MON) == before
    assert lines(tue) == tue_before
    assert CallList.objects.filter(list_date=tue).count() == 1


def test_rep_on_leave_gets_no_list_and_the_manager_sees_the_due(book, client):
    rep, _cs = book
    RepCapacity.objects.create(user=rep, capacity=0)
    build(MON)
    cl = CallList.objects.get(list_date=MON, rep=rep)
    assert cl.on_leave and due_counts(MON, [rep.pk]) == {rep.pk: 6}
    rows = lines(MON, rep)
    assert len(rows) == 6 and all(r[7] for r in rows)
    client.force_login(rep)
    assert client.get(f"/api/v1/calllist/?date={MON}").json()["results"] == []


def test_deterministic_tie_break_by_customer_id(frozen, make_customer):
    rep = UserFactory()
    made = [make_customer(rep, maturity="0") for _ in range(5)]  # never contacted: all "new"
    build(MON)
    assert [r[1] for r in lines(MON, rep)] == sorted(c.pk for c in made)


def test_soft_deleted_customers_and_inactive_reps_are_left_out(frozen, make_customer):
    rep, gone = UserFactory(), UserFactory(is_active=False)
    kept = make_customer(rep)
    deleted = make_customer(rep)
    deleted.deleted_at = timezone.now()
    deleted.save()
    make_customer(gone)
    build(MON)
    assert [r[1] for r in lines(MON)] == [kept.pk]


def test_sql_agrees_with_the_pure_priority(frozen, make_customer):
    """Random maturity and due/deadline facts: the SQL list holds exactly the due
    customers, each with the bucket and reason of `priority.priority`."""
    rng = random.Random(4)
    rep = UserFactory()
    RepCapacity.objects.create(user=rep, capacity=1000)
    classes = ["", "0", "1", "2", "3k", "3o", "4k", "4o", "5", "6", "7"]
    expected = {}
    customers = [make_customer(rep, maturity=rng.choice(classes) or None) for _ in range(120)]
    for c in customers:
        maturity = getattr(getattr(c, "maturity", None), "value", "")
        if rng.random() < 0.1:
            facts = LineFacts(maturity, None, None)  # no follow-up row yet
        else:
            due = MON + dt.timedelta(days=rng.randint(-6, 3))
            deadline = due + dt.timedelta(days=rng.randint(0, 5))
            FollowUp.objects.create(
                customer=c,
                next_due=due,
                deadline=deadline,
                touch="call",
                computed_at=timezone.now(),
            )
            facts = LineFacts(maturity, due, deadline)
        p = priority(facts, MON)
        if p is not None:
            expected[c.pk] = (p.bucket, p.reason)
    calllists_build(MON)
    got = {r[1]: (r[4], r[5]) for r in lines(MON, rep)}
    assert got == expected
    ranks = [(r[4], r[2]) for r in lines(MON, rep)]
    assert ranks == sorted(ranks)  # ranks follow bucket order


def test_morning_job_skips_weekends_and_holidays_and_runs_on_makeup_days(make_customer):
    rep = UserFactory()
    with time_machine.travel(at(D(2026, 11, 28), 6), tick=False):  # Saturday
        make_customer(rep)
        morning_calllists.call_local()
        assert not CallListRun.objects.exists()
    with time_machine.travel(at(D(2026, 10, 2), 6), tick=False):  # National Day
        morning_calllists.call_local()
        assert not CallListRun.objects.exists()
    with time_machine.travel(at(D(2026, 10, 10), 6), tick=False):  # make-up Saturday
        morning_calllists.call_local()
        assert CallListRun.objects.get().list_date == D(2026, 10, 10)


def test_month_end_lists_use_working_days(frozen, make_customer):
    rep = UserFactory()
    frozen.move_to(at(D(2026, 7, 1), 9))
    c = make_customer(rep, maturity="3k", contacted=D(2026, 7, 29))  # Wed
    frozen.move_to(at(D(2026, 7, 31), 7))
    build(D(2026, 7, 31))  # Fri: due (2 working days), not overdue
    assert [r[5] for r in lines(D(2026, 7, 31), rep)] == ["key_3"]
    build(D(2026, 8, 6))  # deadline Aug 5 (5 working days) → overdue on Aug 6
    assert [(r[1], r[5]) for r in lines(D(2026, 8, 6), rep)] == [(c.pk, "overdue")]


def test_the_sql_uses_a_window_function():
    assert "ROW_NUMBER() OVER" in calllist_mod._ranked_sql()
    assert connection.vendor in ("sqlite", "postgresql")
