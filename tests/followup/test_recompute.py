"""The set-based bulk recompute stores exactly what the pure `cadence.next_follow_up`
says, for random customers, rules and calendars (weekends, holidays, make-up days,
month ends, local midnight), on whichever database the suite runs on."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as dj_settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.core.localdates import fixed_offset
from guanxi.customers.models import Customer
from guanxi.followup import selectors
from guanxi.followup.cadence import CustomerFacts, age_band, next_follow_up
from guanxi.followup.models import CadenceRule, FollowUp, WorkCalendarDay
from guanxi.followup.recompute import band_cutoffs, followups_recompute
from guanxi.lib.workdays import add_months
from guanxi.scoring.models import CustomerMaturity, CustomerScore
from tests.factories import CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(dj_settings.TIME_ZONE)
D = dt.date
MATURITIES = ["", "0", "1", "2", "3k", "3o", "4k", "4o", "5", "6", "7"]
TIERS = ["", "strategic", "core", "ordinary", "low"]
FOURS = ["", "high_value", "potential", "stable", "low_value"]
ABCS = ["", "A", "B", "C"]
SEGMENTS = [""] + [f"value:{t}" for t in TIERS[1:]] + [f"four:{f}" for f in FOURS[1:]]
SEGMENTS += [f"abc:{a}" for a in ABCS[1:]]
TOUCHES = ["call", "check_in", "visit", "care"]


def local(day: dt.date, minutes: int = 600) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ) + dt.timedelta(minutes=minutes)


def stored() -> dict[int, tuple]:
    return {
        r[0]: r[1:]
        for r in FollowUp.objects.values_list(
            "customer_id", "last_contact_on", "next_due", "deadline", "touch", "rule_id"
        )
    }


def expected(today: dt.date) -> dict[int, tuple]:
    """The pure definition, one customer at a time, facts read the plain way."""
    rules, cal = selectors.active_rules(), selectors.work_calendar()
    out = {}
    for c in Customer.objects.alive().prefetch_related("interactions"):
        score = CustomerScore.objects.filter(customer=c).first()
        mt = CustomerMaturity.objects.filter(customer=c).first()
        segs = set()
        if score:
            segs |= {f"value:{score.value_tier}"} if score.value_tier else set()
            segs |= {f"four:{score.four_class}"} if score.four_class else set()
            segs |= {f"abc:{score.abc}"} if score.abc else set()
        times = [i.occurred_at for i in c.interactions.all()]
        facts = CustomerFacts(
            c.pk,
            timezone.localdate(c.created_at),
            mt.value if mt else "",
            frozenset(segs),
            timezone.localdate(max(times)) if times else None,
        )
        nf = next_follow_up(facts, rules, cal, today)
        out[c.pk] = (nf.last_contact_on, nf.next_due, nf.deadline, nf.touch, nf.rule_id)
    return out


rule = st.tuples(
    st.sampled_from(MATURITIES),
    st.sampled_from(SEGMENTS),
    st.sampled_from(["", "new", "established"]),
    st.sampled_from(TOUCHES),
    st.integers(1, 15),
    st.integers(0, 10),
    st.sampled_from(["workday", "week", "month"]),
)
customer = st.fixed_dictionaries(
    {
        # creation: days before `today`, or next to the age-band edges (one and three
        # months back); and the minute of the local day (midnight edges)
        "created": st.one_of(
            st.integers(0, 200), st.tuples(st.sampled_from([-1, -3]), st.integers(-2, 2))
        ),
        "created_minute": st.sampled_from([0, 5, 479, 480, 481, 720, 1435, 1439]),
        "maturity": st.sampled_from([None, *MATURITIES[1:]]),
        "score": st.one_of(
            st.none(),
            st.tuples(st.sampled_from(TIERS), st.sampled_from(FOURS), st.sampled_from(ABCS)),
        ),
        # interactions: minutes from `today`'s local midnight (past ones, a few future)
        "interactions": st.lists(st.integers(-200 * 1440, 2 * 1440), max_size=3),
        "deleted": st.booleans(),
    }
)


@pytest.fixture
def rep(db):
    return UserFactory()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    today=st.dates(min_value=D(2024, 12, 1), max_value=D(2026, 12, 31)),
    holidays=st.sets(st.integers(-220, 60), max_size=25),
    makeups=st.sets(st.integers(-220, 60), max_size=6),
    rules=st.one_of(st.none(), st.lists(rule, max_size=8)),
    population=st.lists(customer, max_size=8),
)
def test_bulk_equals_pure(rep, today, holidays, makeups, rules, population):
    with transaction.atomic():
        WorkCalendarDay.objects.all().delete()
        WorkCalendarDay.objects.bulk_create(
            [WorkCalendarDay(day=today + dt.timedelta(days=d), is_working=False) for d in holidays]
            + [
                WorkCalendarDay(day=today + dt.timedelta(days=d), is_working=True)
                for d in makeups - holidays
            ]
        )
        if rules is not None:  # None: the seeded default rules
            CadenceRule.objects.update(is_active=False)
            seen = set()
            for m, seg, band, touch, lo, extra, unit in rules:
                if (m, seg, band, touch) in seen:
                    continue
                seen.add((m, seg, band, touch))
                CadenceRule.objects.create(
                    maturity=m,
                    segment=seg,
                    age_band=band,
                    touch=touch,
                    cycle_min=lo,
                    cycle_max=lo + extra,
                    unit=unit,
                )
        for spec in population:
            c = CustomerFactory(owner=rep)
            if isinstance(spec["created"], int):
                created_on = today - dt.timedelta(days=spec["created"])
            else:
                months, delta = spec["created"]
                created_on = add_months(today, months) + dt.timedelta(days=delta)
            created = local(created_on, spec["created_minute"])
            Customer.objects.filter(pk=c.pk).update(
                created_at=created, deleted_at=timezone.now() if spec["deleted"] else None
            )
            if spec["maturity"]:
                CustomerMaturity.objects.create(
                    customer=c, value=spec["maturity"], since=timezone.now()
                )
            if spec["score"]:
                tier, four, abc = spec["score"]
                CustomerScore.objects.create(
                    customer=c,
                    standard_version=1,
                    as_of=today,
                    computed_at=timezone.now(),
                    sales=0,
                    profit=0,
                    value_tier=tier,
                    four_class=four,
                    abc=abc,
                )
            for minutes in spec["interactions"]:
                InteractionFactory(customer=c, occurred_at=local(today, minutes))

        want = expected(today)
        assert followups_recompute(today=today) == len(want)
        assert stored() == want
        # a second run changes nothing; the one-customer path agrees
        followups_recompute(today=today)
        assert stored() == want
        for pk in list(want)[:2]:
            FollowUp.objects.filter(customer_id=pk).delete()
            followups_recompute(customer_id=pk, today=today)
        assert stored() == want
        transaction.set_rollback(True)


@given(today=st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)))
def test_band_cutoffs_match_age_band(today):
    new_from, est_to = band_cutoffs(today)
    for delta in range(-3, 4):
        for edge in (new_from, est_to):
            created = edge + dt.timedelta(days=delta)
            sql_band = "new" if created >= new_from else "established" if created <= est_to else ""
            assert sql_band == age_band(created, today)
    assert add_months(new_from, 1) > today >= add_months(est_to, 3)


def test_holiday_and_makeup_days_in_bulk(rep):
    """Sept 30, 2026 (Wed) + 2 working days over National Day lands on Fri Oct 9;
    the deadline (+5) counts the make-up Saturday Oct 10."""
    WorkCalendarDay.objects.all().delete()
    WorkCalendarDay.objects.bulk_create(
        [
            WorkCalendarDay(day=D(2026, 10, 1) + dt.timedelta(days=i), is_working=False)
            for i in range(7)
        ]
        + [WorkCalendarDay(day=D(2026, 10, 10), is_working=True)]
    )
    c = CustomerFactory(owner=rep)
    Customer.objects.filter(pk=c.pk).update(created_at=local(D(2025, 1, 1)))
    CustomerMaturity.objects.create(customer=c, value="3k", since=timezone.now())
    InteractionFactory(customer=c, occurred_at=local(D(2026, 9, 30), 23 * 60 + 30))
    never = CustomerFactory(owner=rep)
    Customer.objects.filter(pk=never.pk).update(created_at=local(D(2026, 10, 3)))
    followups_recompute(today=D(2026, 9, 30))
    got = stored()
    assert got[c.pk][:3] == (D(2026, 9, 30), D(2026, 10, 9), D(2026, 10, 13))
    assert got[never.pk][1:3] == (D(2026, 10, 8), D(2026, 10, 8))  # first working day


def test_unchanged_rows_are_not_rewritten(rep):
    c = CustomerFactory(owner=rep)
    followups_recompute(today=D(2026, 11, 23))
    first = FollowUp.objects.get(customer=c).computed_at
    followups_recompute(today=D(2026, 11, 23))
    assert FollowUp.objects.get(customer=c).computed_at == first
    InteractionFactory(customer=c, occurred_at=local(D(2026, 11, 23)))
    followups_recompute(today=D(2026, 11, 23))
    fu = FollowUp.objects.get(customer=c)
    assert fu.last_contact_on == D(2026, 11, 23) and fu.computed_at > first


@pytest.mark.parametrize("today", [D(2025, 3, 31), D(2026, 2, 28), D(2026, 5, 31), D(2026, 11, 23)])
def test_age_band_edges_in_bulk(rep, today):
    """Customers created on both sides of the one- and three-month edges, with a
    monthly call cadence (class 5): the band decides which touch comes first."""
    for months in (-1, -3):
        for delta in range(-2, 3):
            c = CustomerFactory(owner=rep)
            created = add_months(today, months) + dt.timedelta(days=delta)
            Customer.objects.filter(pk=c.pk).update(created_at=local(created, 5))
            CustomerMaturity.objects.create(customer=c, value="5", since=timezone.now())
            InteractionFactory(customer=c, occurred_at=local(today - dt.timedelta(days=3)))
    want = expected(today)
    assert len({v[3] for v in want.values()}) > 1  # the edge changes the touch
    followups_recompute(today=today)
    assert stored() == want


def test_local_dates_in_a_zone_with_daylight_saving(rep):
    """Europe/Berlin changes its offset: the bulk path then converts each instant
    with the database's zone rules (not a fixed shift) and still equals the pure one."""
    utc = dt.UTC
    with timezone.override("Europe/Berlin"):
        assert (
            fixed_offset(
                dt.datetime(2026, 1, 1, tzinfo=utc),
                dt.datetime(2026, 7, 1, tzinfo=utc),
                timezone.get_current_timezone(),
            )
            is None
        )
        instants = [
            dt.datetime(2026, 3, 28, 22, 30, tzinfo=utc),  # 23:30 CET, Mar 28
            dt.datetime(2026, 3, 28, 23, 30, tzinfo=utc),  # 00:30 CET, Mar 29
            dt.datetime(2026, 3, 29, 22, 30, tzinfo=utc),  # 00:30 CEST, Mar 30
            dt.datetime(2026, 10, 24, 22, 30, tzinfo=utc),  # 00:30 CEST, Oct 25
            dt.datetime(2026, 10, 25, 22, 30, tzinfo=utc),  # 23:30 CET, Oct 25
        ]
        for when in instants:
            c = CustomerFactory(owner=rep)
            Customer.objects.filter(pk=c.pk).update(created_at=when)
            never = CustomerFactory(owner=rep)
            Customer.objects.filter(pk=never.pk).update(created_at=when)
            CustomerMaturity.objects.create(customer=c, value="2", since=timezone.now())
            InteractionFactory(customer=c, occurred_at=when)
        today = D(2026, 11, 2)
        want = expected(today)
        followups_recompute(today=today)
        assert stored() == want
    shanghai = ZoneInfo("Asia/Shanghai")
    with timezone.override(shanghai):
        assert (
            fixed_offset(
                dt.datetime(2024, 1, 1, tzinfo=utc),
                dt.datetime(2026, 12, 31, tzinfo=utc),
                shanghai,
            )
            == 8 * 3600
        )
