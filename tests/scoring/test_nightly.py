"""The nightly run stores exactly what scoring everyone would.

Random populations are scored by a full run, then changed (orders, interactions,
profile fields, deletions, promises, new customers) and scored again by nightly runs
whose reference date moves forwards, backwards or not at all. After every run the
stored facts must equal the independent reference computation and every stored score
the pure rules' result for those facts (the as_of column aside: a row keeps the date
of the run that last changed it), so a threshold missing from thresholds.py, or a
write the change log does not see, fails here. Runs on SQLite and PostgreSQL.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.customers.models import Contact, Customer, Interaction, Need, Order
from guanxi.scoring import nightly, rules, services, thresholds
from guanxi.scoring.facts import COLUMNS, sqlite_fixed_offset
from guanxi.scoring.models import (
    ClassificationStandard,
    CreditProfile,
    CustomerFacts,
    CustomerMaturity,
    FactsChange,
    ScoreChange,
    ScoringRun,
)
from guanxi.scoring.population import compute_cutoffs
from guanxi.scoring.recompute import recompute_all, recompute_customer
from guanxi.scoring.results import DIMENSIONS
from guanxi.scoring.standards import default_config, parse_standard
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    NeedFactory,
    OrderFactory,
    UserFactory,
)

from .reference import reference_facts
from .test_equivalence import TZ, _build, _expected_row, _stored_rows, customer, money

# Days that sit on the standards' thresholds and window edges (default and variants):
# four classes 30/90/180/365, lifecycle 180/365, points rules 7/10/14/30, fixed R
# cut-offs 30/60/90/180, window edges of W=365 and W=180, interaction windows 90/30.
NEAR = sorted({t + e for t in (0, 7, 10, 14, 29, 30, 44, 60, 89, 90, 91, 134, 179, 180,
                                182, 273, 364, 365) for e in (-1, 0, 1, 2)})  # fmt: skip
near = st.sampled_from(NEAR)
day_offset = near.map(lambda d: -d) | st.integers(min_value=-800, max_value=5)
when = st.tuples(day_offset, st.integers(0, 1439))  # an interaction: day and minute
# A customer built to sit near a threshold: few orders and interactions on edge days,
# often recent activity (so that neither churn nor dormancy hides the other rules).
near_customer = st.fixed_dictionaries(
    {
        "orders": st.lists(st.tuples(day_offset, money, st.none()), max_size=3),
        "interactions": st.lists(when, max_size=2),
        "created_days_ago": near | st.integers(0, 900),
        "stage": st.sampled_from(["won", "repurchase", "lost"]),
        "satisfaction": st.none() | st.integers(1, 5),
    }
)


edit = st.one_of(
    st.tuples(st.just("order"), st.integers(0, 20), day_offset, money),
    st.tuples(st.just("interaction"), st.integers(0, 20), day_offset, st.integers(0, 1439)),
    st.tuples(st.just("same_day_order"), st.integers(0, 20), money),
    st.tuples(st.just("drop_order"), st.integers(0, 20)),
    st.tuples(st.just("move_order"), st.integers(0, 20), day_offset),
    st.tuples(
        st.just("profile"),
        st.integers(0, 20),
        st.sampled_from(["lost", "won"]),
        st.none() | st.integers(1, 5),
    ),  # fmt: skip
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("restore"), st.integers(0, 20)),
    st.tuples(st.just("promise"), st.integers(0, 20), st.integers(-5, 5)),
    st.tuples(st.just("credit"), st.integers(0, 20), st.none() | money),
    st.tuples(st.just("contact"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("need"), st.integers(0, 20)),
    st.tuples(st.just("new"), customer),
    st.tuples(st.just("near"), near_customer),
)
step = st.tuples(
    st.sampled_from([1, 1, 1, 1, 0, -1, -1, 2, 3, 7, -5, 30, 40]),
    st.lists(edit, max_size=4),
)
variants = st.sampled_from(["default", "fixed", "day_rules", "distinct"])


def _standard(variant: str) -> None:
    if variant == "default":
        services.standard_ensure_active()
        return
    config = default_config()
    if variant == "distinct":  # no two day counts equal, so none hides a missing other
        counter = iter(range(1, 1000))

        def spread(node) -> None:
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in list(items):
                if isinstance(value, dict | list):
                    spread(value)
                elif str(key).endswith("_days") and isinstance(value, int) and value > 0:
                    step = 3 * next(counter)  # long spans shrink: decline gap < W/2
                    node[key] = value + step if value < 150 else value - step

        spread(config)
    elif variant == "fixed":
        for metric in ("recency", "frequency", "monetary"):
            config["rfm"][metric]["method"] = "fixed"
        config["pyramid"]["metric"] = "sales"
        config["windows"] = {"sales_days": 180, "interaction_days": 30}
    else:  # points rules on day offsets: their thresholds must be in thresholds.py too
        config["lead"]["rules"] += [
            {"field": "recency_days", "op": "lte", "value": 30, "points": 2, "label": "r"},
            {"field": "recency_days", "op": "in", "value": [0, 7], "points": 1, "label": "i"},
            {"field": "days_since_interaction", "op": "gt", "value": 14, "points": -1,
             "label": "d"},
        ]  # fmt: skip
        config["potential"]["rules"].append(
            {
                "dimension": "willingness",
                "field": "days_since_interaction",
                "op": "lt",
                "value": 10,
                "points": 50,
                "label": "w",
            }  # fmt: skip
        )
    ClassificationStandard.objects.update(is_active=False)
    ClassificationStandard.objects.create(version=999, name="t", config=config, is_active=True)


def _build_near(owner, day: dt.date, spec: dict) -> None:
    c = CustomerFactory(owner=owner, stage=spec["stage"], satisfaction=spec["satisfaction"])
    created = dt.datetime.combine(day, dt.time(12), tzinfo=TZ)
    created -= dt.timedelta(days=spec["created_days_ago"])
    Customer.objects.filter(pk=c.pk).update(created_at=created)
    for days, amount, gm in spec["orders"]:
        OrderFactory(customer=c, ordered_on=day + dt.timedelta(days=days), amount=amount,
                     gross_margin=gm)  # fmt: skip
    start = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
    for days, minute in spec["interactions"]:
        at = start + dt.timedelta(days=days, minutes=minute)
        InteractionFactory(customer=c, occurred_at=at)


def _pick(index: int, model=Customer, **filters):
    rows = list(model.objects.filter(**filters).order_by("pk"))
    return rows[index % len(rows)] if rows else None


def _apply(owner, day: dt.date, item: tuple) -> None:
    kind, *args = item
    if kind == "new":
        _build(owner, day, args[0])
        return
    if kind == "near":
        _build_near(owner, day, args[0])
        return
    if kind in ("same_day_order", "drop_order", "move_order"):
        order = _pick(args[0], Order)
        if order is not None and kind == "same_day_order":  # its day is no new order day
            OrderFactory(customer=order.customer, ordered_on=order.ordered_on, amount=args[1])
        elif order is not None and kind == "drop_order":
            order.delete()
        elif order is not None:
            Order.objects.filter(pk=order.pk).update(ordered_on=day + dt.timedelta(days=args[1]))
        return
    filters = {"deleted_at__isnull": False} if kind == "restore" else {}
    c = _pick(args[0], Customer, **filters)
    if c is None:
        return
    if kind == "order":
        OrderFactory(customer=c, ordered_on=day + dt.timedelta(days=args[1]), amount=args[2])
    elif kind == "interaction":
        start = dt.datetime.combine(day, dt.time.min, tzinfo=TZ)
        InteractionFactory(
            customer=c, occurred_at=start + dt.timedelta(days=args[1], minutes=args[2])
        )
    elif kind == "profile":
        Customer.objects.filter(pk=c.pk).update(stage=args[1], satisfaction=args[2])
    elif kind == "delete":
        Customer.objects.filter(pk=c.pk).update(deleted_at=timezone.now())
    elif kind == "restore":
        Customer.objects.filter(pk=c.pk).update(deleted_at=None)
    elif kind == "promise":
        CustomerMaturity.objects.update_or_create(
            customer=c,
            defaults={
                "value": "3k",
                "since": timezone.now(),
                "promise_made_on": day - dt.timedelta(days=3),
                "promised_payment_on": day + dt.timedelta(days=args[1]),
            },
        )
    elif kind == "credit":
        CreditProfile.objects.update_or_create(
            customer=c, defaults={"payment_method": "wire", "monthly_plan": args[1]}
        )
    elif kind == "contact":
        ContactFactory(customer=c, decision_role="decision_maker", is_key_person=args[1])
    elif kind == "need":
        NeedFactory(customer=c, status="in_progress", matched_solution="方案")


def _stored_facts() -> list[tuple]:
    return [tuple(row) for row in CustomerFacts.objects.order_by("pk").values_list(*COLUMNS)]


def _facts_rows(expected) -> list[tuple]:
    def row(f) -> tuple:
        return (
            f.customer_id, f.created_on, f.stage, f.industry, f.size_band, f.source, f.urgency,
            f.potential_class, f.contract_status, int(f.is_strategic), f.satisfaction,
            int(f.budget_known), f.first_order_on, f.last_order_on, f.orders_total,
            f.order_days, f.sales, f.sales_recent, f.sales_previous, f.active_quarters,
            f.margin_base, f.profit_x, f.last_interaction_on, f.interactions_recent,
            f.needs_open, f.needs_matched, f.contacts, int(f.decision_maker_known),
            int(f.key_person_known), f.payment_method, f.monthly_plan, f.maturity,
            f.promised_payment_on, int(f.paid_since_promise),
        )  # fmt: skip

    return [row(f) for f in expected]


def _without_as_of(rows: dict[int, dict]) -> dict[int, dict]:
    return {cid: {k: v for k, v in row.items() if k != "as_of"} for cid, row in rows.items()}


def _dims() -> dict[int, tuple]:
    from guanxi.scoring.models import CustomerScore

    return {r[0]: r[1:] for r in CustomerScore.objects.values_list("customer_id", *DIMENSIONS)}


def _assert_scores_are_the_rules(expected_facts, std) -> dict[int, dict]:
    """Every stored score is the pure rules' for `expected_facts` and their cut-offs."""
    cut = compute_cutoffs(expected_facts, std)
    want = {f.customer_id: _expected_row(rules.score(f, std, cut)) for f in expected_facts}
    stored = _stored_rows()
    assert _without_as_of({c: stored[c] for c in want}) == _without_as_of(want)
    return want


def _step_nightly(day: dt.date, steps, std) -> None:
    """A nightly run after each move of the reference date; after each, the stored facts
    are the records' and the stored scores the pure rules'."""
    for step in steps:
        day += dt.timedelta(days=step)
        summary = recompute_all(as_of=day)
        assert ScoringRun.objects.get(pk=summary.run_id).mode == "nightly"
        expected = reference_facts(day, std)
        assert _stored_facts() == _facts_rows(expected)
        _assert_scores_are_the_rules(expected, std)


@pytest.fixture
def rep(db):
    return UserFactory()


@settings(
    # GX_NIGHTLY_EXAMPLES=500 for a thorough local run (e.g. after changing a rule)
    max_examples=int(os.environ.get("GX_NIGHTLY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    population=st.lists(customer, max_size=4),
    near_ones=st.lists(near_customer, min_size=3, max_size=14),
    as_of=st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2026, 12, 31)),
    variant=variants,
    steps=st.lists(step, min_size=1, max_size=3),
)
def test_nightly_run_stores_what_scoring_everyone_stores(
    rep, population, near_ones, as_of, variant, steps
):
    with transaction.atomic():
        _standard(variant)
        for spec in population:
            _build(rep, as_of, spec)
        for spec in near_ones:
            _build_near(rep, as_of, spec)
        assert recompute_all(as_of=as_of) is not None
        assert ScoringRun.objects.get(status="done").mode == "full"
        std = parse_standard(services.standard_ensure_active())
        day = as_of
        for delta, edits in steps:
            for item in edits:
                _apply(rep, day, item)
            day += dt.timedelta(days=delta)
            expected_facts = reference_facts(day, std)  # before the run moves maturity
            before = _dims()
            summary = recompute_all(as_of=day)

            run = ScoringRun.objects.get(pk=summary.run_id)
            assert run.mode == ("nightly" if abs(delta) <= nightly.MAX_SLIDE_DAYS else "full")
            assert summary.customers == len(expected_facts)
            # the stored facts are the documented facts as of the new day (after the
            # run's own maturity moves, which it keeps current in them)
            assert _stored_facts() == _facts_rows(reference_facts(day, std))
            want = _assert_scores_are_the_rules(expected_facts, std)
            # a history row for each dimension that moved, as a full run would write
            after = _dims()
            moved = sum(
                a != b
                for cid, old in before.items()
                if cid in want
                for a, b in zip(old, after[cid], strict=True)
            )
            written = ScoreChange.objects.filter(changed_at__gte=run.started_at)
            assert written.exclude(dimension="maturity").count() == moved
            # maturity moves the data decides, on every customer
            for f in expected_facts:
                move = rules.maturity_auto(f)
                value = CustomerMaturity.objects.get(customer_id=f.customer_id).value
                assert value == (move[0] if move else f.maturity)
            # the log is consumed, the run's own maturity moves left none behind
            assert not FactsChange.objects.exists()
        transaction.set_rollback(True)


# --- the change log ------------------------------------------------------------------


def _logged() -> set[int]:
    ids = set(FactsChange.objects.values_list("customer_id", flat=True))
    FactsChange.objects.all().delete()
    return ids


@pytest.mark.django_db
def test_every_write_path_logs_the_customer():
    a, b = CustomerFactory(), CustomerFactory()
    assert _logged() == {a.pk, b.pk}  # inserts
    order = OrderFactory(customer=a)
    talk = InteractionFactory(customer=b)
    # inserted orders and interactions are named, to be added rather than rebuilt
    assert set(FactsChange.objects.values_list("customer_id", "kind", "row_id")) == {
        (a.pk, FactsChange.ORDER_ADDED, order.pk),
        (b.pk, FactsChange.INTERACTION_ADDED, talk.pk),
    }
    assert _logged() == {a.pk, b.pk}
    NeedFactory(customer=a)  # any other insert is a plain change
    assert list(FactsChange.objects.values_list("kind", "row_id")) == [(FactsChange.OTHER, None)]
    assert _logged() == {a.pk}
    Order.objects.filter(pk=order.pk).update(amount=Decimal("5"))  # update()
    assert _logged() == {a.pk}
    Order.objects.filter(pk=order.pk).update(customer=b)  # moved: both customers
    assert _logged() == {a.pk, b.pk}
    Order.objects.filter(pk=order.pk).update(product_line="别的")  # not a scoring column
    assert _logged() == set()
    Order.objects.bulk_create([Order(customer=a, ordered_on=dt.date(2026, 1, 5), amount=1)])
    assert _logged() == {a.pk}
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute(f"DELETE FROM {Order._meta.db_table} WHERE customer_id = %s", [b.pk])
    assert _logged() == {b.pk}
    InteractionFactory(customer=b)
    NeedFactory(customer=a)
    assert _logged() == {a.pk, b.pk}
    Interaction.objects.filter(customer=b).update(occurred_at=timezone.now())
    assert set(FactsChange.objects.values_list("customer_id", "kind")) == {
        (b.pk, FactsChange.OTHER)  # an update of an inserted row rebuilds
    }
    assert _logged() == {b.pk}
    contact = ContactFactory(customer=b)
    Contact.objects.filter(pk=contact.pk).update(is_key_person=True)
    Need.objects.filter(customer=a).update(status="done")
    assert _logged() == {a.pk, b.pk}
    Interaction.objects.filter(customer=b).update(summary="改了摘要")  # not a scoring column
    Customer.objects.filter(pk=a.pk).update(name="新名字有限公司", phone="13900000000")
    assert _logged() == set()
    Customer.objects.filter(pk=a.pk).update(satisfaction=4)
    Customer.objects.filter(pk=b.pk).update(deleted_at=timezone.now())
    assert _logged() == {a.pk, b.pk}
    CreditProfile.objects.create(customer=a, payment_method="wire")
    CustomerMaturity.objects.create(customer=b, value="1", since=timezone.now())
    assert _logged() == {a.pk, b.pk}
    CustomerMaturity.objects.filter(customer=b).update(reason="备注")  # not a scoring column
    assert _logged() == set()


@pytest.mark.django_db
def test_a_write_logged_after_the_run_read_the_log_stays_for_the_next_run():
    a, b = CustomerFactory(), CustomerFactory()
    with transaction.atomic():
        nightly.take_log()
        FactsChange.objects.create(customer_id=b.pk)  # committed meanwhile
        nightly.forget_log()
        nightly.drop_tables()
    assert list(FactsChange.objects.values_list("customer_id", flat=True)) == [b.pk]
    assert a.pk != b.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
@pytest.mark.django_db
def test_the_log_ids_the_run_deletes_by_are_analyzed():
    """forget_log deletes by the ids of the log the run read: unless they are analyzed,
    PostgreSQL guesses 200 and deletes an import's millions by index lookups."""
    FactsChange.objects.bulk_create(FactsChange(customer_id=n % 7) for n in range(300))
    with transaction.atomic():
        nightly.take_log()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, n_distinct FROM pg_stats WHERE tablename = %s", [nightly.LOG]
            )
            stats = dict(cursor.fetchall())
        nightly.drop_tables()
    assert stats["id"] == -1  # every id distinct
    assert stats["customer_id"] == 7


@pytest.mark.django_db
def test_settling_the_log_reads_the_log_read_once_not_once_per_row():
    """settle_log compares the whole log with the log the run read, which after an
    import holds millions of rows: a plan that scans one for each row of the other
    took minutes on SQLite at three million."""
    pg = connection.vendor == "postgresql"
    customer = CustomerFactory()

    def log_rows():
        FactsChange.objects.bulk_create(
            FactsChange(customer_id=customer.pk, kind=FactsChange.ORDER_ADDED) for _ in range(3000)
        )

    if pg:  # statistics taken when the queue was empty, as they usually are
        log_rows()
        FactsChange.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {FactsChange._meta.db_table}")
    log_rows()
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with transaction.atomic():
        nightly.take_log()
        with connection.execute_wrapper(keep):
            nightly.settle_log()
        ((sql, params),) = statements
        with connection.cursor() as cursor:
            cursor.execute(("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        nightly.drop_tables()
    if pg:  # an anti-join, never a scan of the ids read for each log row
        assert "Anti Join" in plan
        assert "Nested Loop" not in plan or "Seq Scan on scoring_run_log" not in plan
    else:  # each id looked up in the ids read, not a scan of them
        assert "SEARCH r USING" in plan and "SCAN r" not in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's local-date fast path")
@pytest.mark.django_db
def test_the_interactions_time_span_is_read_from_its_index():
    """Every run on SQLite reads the span of interaction times (facts.sqlite_fixed_offset).
    SQLite answers a lone MIN or MAX from one end of the index on occurred_at, but scans
    all of it for both in one query."""
    InteractionFactory()
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert sqlite_fixed_offset() is not None
    table = Interaction._meta.db_table
    reads = [(sql, params) for sql, params in statements if table in sql]
    assert reads
    with connection.cursor() as cursor:
        for sql, params in reads:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert f"SCAN {table}" not in plan, plan


@pytest.mark.django_db
def test_inserts_logged_while_the_run_read_the_records_rebuild_next_time():
    """PostgreSQL reads committed rows statement by statement: a row inserted after the
    run took the log may already be in the facts it stored, so its log row must not
    add it a second time next run (nightly.settle_log)."""
    a = CustomerFactory()
    order = OrderFactory(customer=a)
    with transaction.atomic():
        nightly.take_log()
        late = OrderFactory(customer=a)  # committed meanwhile
        nightly.settle_log()
        nightly.forget_log()
        nightly.drop_tables()
    assert list(FactsChange.objects.values_list("row_id", "kind")) == [(late.pk, FactsChange.OTHER)]
    assert order.pk != late.pk


@pytest.mark.django_db
def test_the_run_settles_the_log_after_reading_the_records(monkeypatch):
    a = CustomerFactory()
    OrderFactory(customer=a)
    recompute_all()
    real, late = nightly.store_facts, []

    def insert_first(*args, **kwargs):  # an insert the run's reads may have seen
        late.append(OrderFactory(customer=a).pk)
        return real(*args, **kwargs)

    monkeypatch.setattr(nightly, "store_facts", insert_first)
    recompute_all()
    assert list(FactsChange.objects.values_list("row_id", "kind")) == [(late[0], FactsChange.OTHER)]


@pytest.mark.django_db
def test_inserted_rows_are_added_to_the_stored_facts(rep, monkeypatch):
    """Orders and interactions inserted between two runs are added to the stored facts
    without rebuilding them (nightly.apply_insert_deltas): on a day that already has an
    order, on a new day, before the first order, zero, with and without a margin,
    after a promise (paid), dated after the run (counted once the date passes them).
    The stored facts equal the records' after each run."""
    std = parse_standard(services.standard_ensure_active())
    day = dt.date(2026, 3, 10)
    long_ago = dt.datetime.combine(day - dt.timedelta(days=900), dt.time(12), tzinfo=TZ)
    customers = [CustomerFactory(owner=rep, stage="won") for _ in range(6)]
    Customer.objects.update(created_at=long_ago)
    for n, c in enumerate(customers):
        for back in (3, 40, 200, 500):
            OrderFactory(customer=c, ordered_on=day - dt.timedelta(days=back + n),
                         amount=Decimal(500 + 10 * back), gross_margin=Decimal("20.5"))  # fmt: skip
        at = dt.datetime.combine(day - dt.timedelta(days=60 + n), dt.time(9), tzinfo=TZ)
        InteractionFactory(customer=c, occurred_at=at)
    CustomerMaturity.objects.create(
        customer=customers[5], value="3k", since=timezone.now(),
        promise_made_on=day, promised_payment_on=day + dt.timedelta(days=10),
    )  # fmt: skip
    recompute_all(as_of=day)
    added: list[set[int]] = []
    real = nightly.apply_insert_deltas

    def spy(*args):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT customer_id FROM {nightly.ADDED}")
            added.append({row[0] for row in cursor.fetchall()})
        real(*args)

    monkeypatch.setattr(nightly, "apply_insert_deltas", spy)
    a, b, c, d, e, f = customers
    tomorrow = day + dt.timedelta(days=1)
    OrderFactory(customer=a, ordered_on=day - dt.timedelta(days=3), amount=Decimal("7.01"))
    OrderFactory(customer=b, ordered_on=tomorrow, amount=Decimal("88.80"), gross_margin=None)
    OrderFactory(customer=b, ordered_on=tomorrow, amount=Decimal("0.00"))  # same new day
    OrderFactory(customer=c, ordered_on=day - dt.timedelta(days=700), amount=Decimal(900))
    OrderFactory(customer=d, ordered_on=day + dt.timedelta(days=3), amount=Decimal(300))
    OrderFactory(customer=f, ordered_on=tomorrow, amount=Decimal(1))  # pays after the promise
    when = dt.datetime.combine(tomorrow, dt.time(23, 59), tzinfo=TZ)
    InteractionFactory(customer=e, occurred_at=when)
    InteractionFactory(customer=e, occurred_at=when + dt.timedelta(days=5))
    _step_nightly(day, (1, 1, 2, -1), std)
    # only the first run had inserts, and it added them all instead of rebuilding
    assert added[0] == {a.pk, b.pk, c.pk, d.pk, e.pk, f.pk}
    assert added[1:] == [set(), set(), set()]
    assert CustomerFacts.objects.get(pk=f.pk).paid == 1


@pytest.mark.django_db
def test_nightly_run_rescores_only_what_changed():
    as_of = timezone.localdate()
    customers = [CustomerFactory(created_at=timezone.now()) for _ in range(12)]
    Customer.objects.update(created_at=timezone.now() - dt.timedelta(days=700))
    for i, c in enumerate(customers):
        OrderFactory(customer=c, ordered_on=as_of - dt.timedelta(days=20 + 40 * i))
    full = recompute_all(as_of=as_of)
    assert (full.customers, full.refreshed, full.rescored) == (12, 12, 12)
    rerun = recompute_all(as_of=as_of)  # same day, nothing written since
    assert (rerun.refreshed, rerun.rescored) == (0, 0)
    # an old order outside the sales window: no cut-off moves, only this customer changes
    OrderFactory(customer=customers[3], ordered_on=as_of - dt.timedelta(days=800))
    again = recompute_all(as_of=as_of)
    assert (again.refreshed, again.rescored) == (1, 1)
    assert ScoringRun.objects.get(pk=again.run_id).mode == "nightly"


@pytest.mark.django_db
def test_recompute_customer_leaves_its_customer_for_the_next_run():
    c = CustomerFactory()
    OrderFactory(customer=c)
    recompute_all()
    recompute_customer(c.pk)
    assert set(FactsChange.objects.values_list("customer_id", flat=True)) >= {c.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["default", "fixed"])
def test_window_edges_slide_like_the_records(rep, variant):
    """Orders (with margins, two on one day) around every edge of the sales window,
    its half and its quarters, interactions around the start of the interaction
    window: after every nightly step, forward and back, the stored facts, slid by
    their edge orders only (nightly.apply_window_deltas), equal the records'."""
    from guanxi.scoring.facts import order_window_edges

    _standard(variant)
    std = parse_standard(services.standard_ensure_active())
    day = dt.date(2026, 3, 10)
    created = dt.datetime.combine(day - dt.timedelta(days=900), dt.time(12), tzinfo=TZ)
    interaction_days = int(std.interaction_days)
    for n, k in enumerate([*order_window_edges(std), int(std.sales_days)]):
        c = CustomerFactory(owner=rep, stage="won")
        Customer.objects.filter(pk=c.pk).update(created_at=created)
        for offset in range(max(0, k - 3), k + 4):
            on = day - dt.timedelta(days=offset)
            OrderFactory(customer=c, ordered_on=on, amount=Decimal(1000 + 37 * offset + n),
                         gross_margin=Decimal("12.5") if offset % 2 else None)  # fmt: skip
        OrderFactory(customer=c, ordered_on=day - dt.timedelta(days=k), amount=Decimal("99.99"))
        for offset in range(interaction_days - 3, interaction_days + 3):
            at = dt.datetime.combine(day - dt.timedelta(days=offset), dt.time(9), tzinfo=TZ)
            InteractionFactory(customer=c, occurred_at=at)
    recompute_all(as_of=day)
    _step_nightly(day, (1, 2, -1, -3, 5, 0, -4), std)


@pytest.mark.django_db
def test_a_missing_trigger_or_a_new_standard_makes_the_run_full():
    c = CustomerFactory()
    OrderFactory(customer=c)
    recompute_all()
    assert nightly.triggers_missing() is False
    assert ScoringRun.objects.order_by("-id").first().mode == "full"
    recompute_all()
    assert ScoringRun.objects.order_by("-id").first().mode == "nightly"
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER scoring_fc_ins ON customers_order")
            else:
                cursor.execute("DROP TRIGGER scoring_fc_customers_order_ins")
        assert nightly.triggers_missing() is True
        recompute_all()
        assert ScoringRun.objects.order_by("-id").first().mode == "full"
        transaction.set_rollback(True)
    config = default_config()
    config["lifecycle"]["dormant_days"] = 90
    ClassificationStandard.objects.update(is_active=False)
    ClassificationStandard.objects.create(version=77, name="v77", config=config, is_active=True)
    recompute_all()
    assert ScoringRun.objects.order_by("-id").first().mode == "full"


# --- every day threshold, crossed alone ---------------------------------------------


def _day_numbers(config: dict) -> set[int]:
    """Every count of days in a standard document: values of `*_days` keys and of
    points rules on day fields."""
    found: set[int] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("field") in thresholds.RULE_DAY_FIELDS:
                values = node["value"] if isinstance(node["value"], list) else [node["value"]]
                found.update(int(v) for v in values)
            for key, value in node.items():
                if key.endswith("_days") and isinstance(value, int):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(config)
    return found


def _on_threshold(owner, column: str, on: dt.date, day: dt.date, flavour: int) -> None:
    """A customer whose only date near `day` is `column` = `on`; the other dates are
    far away or yesterday, so crossing this one threshold is the only reason to
    rescore it. Flavour 1 adds an interaction yesterday (the lifecycle rules after
    churn and dormancy become reachable); for the first order, flavour 0 buys enough
    for the high-value class and flavour 1 only for the potential one (whose tenure
    limit the high-value class would otherwise hide)."""
    long_ago = dt.datetime.combine(day - dt.timedelta(days=2100), dt.time(12), tzinfo=TZ)
    c = CustomerFactory(owner=owner, stage="won")
    created = dt.datetime.combine(on, dt.time(12), tzinfo=TZ)
    Customer.objects.filter(pk=c.pk).update(
        created_at=created if column == thresholds.CREATED else long_ago
    )
    if column == thresholds.LAST_ORDER:
        OrderFactory(customer=c, ordered_on=day - dt.timedelta(days=2000), amount=30000)
        OrderFactory(customer=c, ordered_on=on, amount=90000)
    elif column == thresholds.FIRST_ORDER:  # recent sales high enough for the tenure rules
        first, recent = (120000, 150000) if flavour == 0 else (1000, 60000)
        OrderFactory(customer=c, ordered_on=on, amount=first)
        OrderFactory(customer=c, ordered_on=day - dt.timedelta(days=1), amount=recent)
    elif column == thresholds.LAST_INTERACTION:
        OrderFactory(customer=c, ordered_on=day - dt.timedelta(days=1500), amount=8000)
        InteractionFactory(customer=c, occurred_at=created)
    if flavour == 1 or column == thresholds.FIRST_ORDER:
        yesterday = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=TZ)
        InteractionFactory(customer=c, occurred_at=yesterday)


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["default", "fixed", "day_rules", "distinct"])
@pytest.mark.parametrize("delta", [1, -1])
def test_each_day_threshold_crossed_alone_is_rescored(rep, variant, delta):
    """For every number of days in the standard (read from its document, not from
    thresholds.py) and every date column, customers sit on both sides of it; one day
    later (or earlier) each has crossed it and nothing else. A comparison missing
    from thresholds.py leaves a stale score here. (Population R cut-offs and the
    promise date: the property test.)"""
    _standard(variant)
    config = services.standard_ensure_active().config
    # RFM cut-offs fixed (R far away): population quintiles would land on the offsets
    # placed below, or move with them, and rescore customers for another reason
    config["rfm"]["recency"] = {"method": "fixed", "cutoffs": [1001, 1002, 1003, 1004]}
    config["rfm"]["frequency"] = {"method": "fixed", "cutoffs": [1, 2, 3, 5]}
    config["rfm"]["monetary"] = {
        "method": "fixed",
        "cutoffs": [10**6, 2 * 10**6, 3 * 10**6, 4 * 10**6],
    }
    ClassificationStandard.objects.update(is_active=False)
    active = ClassificationStandard.objects.create(
        version=1000, name="sweep", config=config, is_active=True
    )
    std = parse_standard(active)
    day = dt.date(2026, 6, 15)
    days = _day_numbers(active.config)
    assert len(days) >= 8
    for column in thresholds.DATE_COLUMNS:
        if column == thresholds.PROMISED:
            continue
        for t in sorted(days):
            for offset in (t - 1, t, t + 1):  # < t, <= t and > t all flip somewhere here
                for flavour in (0, 1):
                    if offset >= 0:
                        on = day - dt.timedelta(days=offset)
                        _on_threshold(rep, column, on, day, flavour)
    for _ in range(5):  # bystanders: no order, created long ago, near no threshold
        _on_threshold(rep, "none", day - dt.timedelta(days=2100), day, 0)
    recompute_all(as_of=day)
    before = _dims()
    later = day + dt.timedelta(days=delta)
    summary = recompute_all(as_of=later)
    assert ScoringRun.objects.get(pk=summary.run_id).mode == "nightly"
    assert summary.rescored <= summary.customers - 5  # the bands, not everyone
    _assert_scores_are_the_rules(reference_facts(later, std), std)
    assert _dims() != before  # some threshold was crossed: the test saw movement


@pytest.mark.django_db
def test_the_score_tables_keep_room_for_updates_on_postgresql():
    """A nightly run updates a tenth of the rows; with room on their page PostgreSQL
    updates them without touching the indexes (scoring migration 0007)."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting; SQLite has none")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN "
            "('scoring_customerscore', 'scoring_customerfacts')"
        )
        assert dict(cursor.fetchall()) == {
            "scoring_customerscore": ["fillfactor=75"],
            "scoring_customerfacts": ["fillfactor=75"],
        }
