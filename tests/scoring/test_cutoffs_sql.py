"""The set-based run's cut-offs (fullrun.cutoffs: sorted and picked by the database)
equal the pure definition (population.cutoffs_from_columns) on random buyers' columns:
ties, zeros, refunds (negative sales), a single buyer, none at all, both pyramid
metrics and fixed RFM cut-offs."""

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.scoring import fullrun
from guanxi.scoring.population import cutoffs_from_columns
from guanxi.scoring.standard_types import Standard
from guanxi.scoring.standards import default_config, validate_config

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
TABLE = "test_cutoff_buyers"

buyer = st.tuples(
    st.integers(0, 800),  # days since the last order
    st.integers(0, 40),  # distinct order days in the window
    st.one_of(st.integers(-50_000, 5_000_000), st.sampled_from([0, 100, 100_000])),  # sales
    st.integers(-(10**9), 10**11),  # profit_x
)


def _standard(pyramid_metric: str, fixed: bool):
    config = default_config()
    config["pyramid"]["metric"] = pyramid_metric
    if fixed:
        config["rfm"]["monetary"] = {"method": "fixed", "cutoffs": [1000, 5000, 20000, 80000]}
    validate_config(config)
    return Standard(1, config)


def _fill(rows) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(
            f"CREATE TEMP TABLE {TABLE} (customer_id integer, last_on date, n_days integer, "
            "sales bigint, profit_x bigint)"
        )
        cursor.executemany(
            f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s)",
            [
                (i, AS_OF - dt.timedelta(days=rec), days, sales, profit)
                for i, (rec, days, sales, profit) in enumerate(rows)
            ],
        )
        # a customer without orders is not a buyer: never part of the population
        cursor.execute(f"INSERT INTO {TABLE} VALUES (-1, NULL, 0, 0, 0)")


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(buyer, max_size=40),
    pyramid_metric=st.sampled_from(["profit", "sales"]),
    fixed=st.booleans(),
)
def test_database_cutoffs_equal_the_pure_definition(rows, pyramid_metric, fixed):
    std = _standard(pyramid_metric, fixed)
    _fill(rows)
    want = cutoffs_from_columns(
        std,
        recency=[r[0] for r in rows],
        frequency=[r[1] for r in rows],
        sales=[r[2] for r in rows],
        pyramid=[r[3] if pyramid_metric == "profit" else r[2] for r in rows],
    )
    assert fullrun.cutoffs(std, AS_OF, TABLE) == want


def test_pareto_cutoff_with_refunds_at_the_tail():
    """The running sum falls past the refunds; the cut-off is still the first buyer
    (descending) at which it reaches the share."""
    std = _standard("sales", fixed=False)
    sales = [700, 200, 100, -300, -300]
    _fill([(10, 1, s, 0) for s in sales])
    cut = fullrun.cutoffs(std, AS_OF, TABLE)
    # total 400: A needs 320 (reached at 700), B needs 380 (also at 700)
    assert cut.abc == (700, 700)
    assert cut.population == 5
