"""Population cut-offs, computed once per run (pure Python, no Django import).

Quintiles, pyramid shares and the ABC (Pareto) split depend on every customer.
They are turned into plain thresholds here, once, over the list of values; the
per-customer rules then only compare one customer's value with the thresholds,
so a customer's result depends on its own value alone and ties always share a
result. The same stored thresholds serve the incremental recompute of one
customer between two full runs.
"""

from collections.abc import Iterable, Sequence
from fractions import Fraction

from .facts_types import Facts
from .results import Cutoffs
from .rules import pyramid_value
from .standard_types import Standard


def quantile_cutoffs(values: Iterable[int], parts: int = 5) -> tuple[int, ...]:
    """Nearest-rank cut-offs: q_k = x_(ceil(k*n/parts)) of the ascending values, k=1..parts-1.

    A score is then 1 + the number of cut-offs the value exceeds (strictly), so
    equal values always get the same score (ties are never split) and a part
    may hold more or fewer than n/parts customers when values repeat.
    """
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return ()
    return tuple(xs[(k * n + parts - 1) // parts - 1] for k in range(1, parts))


def top_share_cutoff(values_desc: Sequence[int], pct: Fraction) -> int | None:
    """Value of the customer at rank ceil(pct% * n) in descending order (None if n=0).

    Everyone with a value >= it (and > 0) is in the top group, so a tie at the
    boundary pulls all tied customers into the group.
    """
    n = len(values_desc)
    rank = -((-pct * n) // 100)  # ceil(pct * n / 100)
    if n == 0 or rank < 1:
        return None
    return values_desc[min(int(rank), n) - 1]


def pareto_cutoff(values_desc: Sequence[int], total: int, pct: Fraction) -> int | None:
    """Value of the first customer (descending) at which the cumulative share of the
    total reaches pct%; None when the total is not positive."""
    if total <= 0:
        return None
    running = 0
    for value in values_desc:
        running += value
        if running * 100 >= pct * total:
            return value
    return values_desc[-1]


def compute_cutoffs(facts: Iterable[Facts], std: Standard) -> Cutoffs:
    """Cut-offs over the buying customers (at least one order on or before as_of)."""
    buyers = [f for f in facts if f.has_orders]
    methods, fixed = std.rfm_methods, std.rfm_fixed

    def rfm_cut(metric: str, values: list[int]) -> tuple[int, ...]:
        return quantile_cutoffs(values) if methods[metric] == "quintile" else fixed[metric]

    recency = rfm_cut("recency", [f.recency_days or 0 for f in buyers])
    frequency = rfm_cut("frequency", [f.order_days for f in buyers])
    monetary = rfm_cut("monetary", [f.sales for f in buyers])
    ranked = sorted((pyramid_value(f, std) for f in buyers), reverse=True)
    pyramid = tuple(top_share_cutoff(ranked, share) for _code, share in std.pyramid_top_pct)
    sales_desc = sorted((f.sales for f in buyers), reverse=True)
    total = sum(sales_desc)
    abc = tuple(pareto_cutoff(sales_desc, total, share) for share in std.abc_pct)
    return Cutoffs(
        recency=recency,
        frequency=frequency,
        monetary=monetary,
        pyramid=pyramid,
        abc=abc,
        population=len(buyers),
    )
