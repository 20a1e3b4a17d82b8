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


def quantile_ranks(n: int, parts: int = 5) -> tuple[int, ...]:
    """Ascending 1-based ranks of the nearest-rank cut-offs: ceil(k*n/parts), k=1..parts-1."""
    if n == 0:
        return ()
    return tuple((k * n + parts - 1) // parts for k in range(1, parts))


def quantile_cutoffs(values: Iterable[int], parts: int = 5) -> tuple[int, ...]:
    """Nearest-rank cut-offs: q_k = x_(ceil(k*n/parts)) of the ascending values, k=1..parts-1.

    A score is then 1 + the number of cut-offs the value exceeds (strictly), so
    equal values always get the same score (ties are never split) and a part
    may hold more or fewer than n/parts customers when values repeat.
    """
    xs = sorted(values)
    return tuple(xs[rank - 1] for rank in quantile_ranks(len(xs), parts))


def top_share_rank(n: int, pct: Fraction) -> int | None:
    """Descending 1-based rank of the top-share cut-off: ceil(pct% * n), at most n."""
    rank = -((-pct * n) // 100)  # ceil(pct * n / 100)
    if n == 0 or rank < 1:
        return None
    return min(int(rank), n)


def top_share_cutoff(values_desc: Sequence[int], pct: Fraction) -> int | None:
    """Value of the customer at rank ceil(pct% * n) in descending order (None if n=0).

    Everyone with a value >= it (and > 0) is in the top group, so a tie at the
    boundary pulls all tied customers into the group.
    """
    rank = top_share_rank(len(values_desc), pct)
    return None if rank is None else values_desc[rank - 1]


def pareto_need(total: int, pct: Fraction) -> int | None:
    """The running sum (descending) that reaches pct% of the total: ceil(pct * total / 100);
    None when the total is not positive."""
    if total <= 0:
        return None
    return int(-((-pct * total) // 100))


def pareto_cutoff(values_desc: Sequence[int], total: int, pct: Fraction) -> int | None:
    """Value of the first customer (descending) at which the cumulative share of the
    total reaches pct%; None when the total is not positive."""
    need = pareto_need(total, pct)
    if need is None:
        return None
    running = 0
    for value in values_desc:
        running += value
        if running >= need:
            return value
    return values_desc[-1]


def compute_cutoffs(facts: Iterable[Facts], std: Standard) -> Cutoffs:
    """Cut-offs over the buying customers (at least one order on or before as_of)."""
    buyers = [f for f in facts if f.has_orders]
    return cutoffs_from_columns(
        std,
        recency=[f.recency_days or 0 for f in buyers],
        frequency=[f.order_days for f in buyers],
        sales=[f.sales for f in buyers],
        pyramid=[pyramid_value(f, std) for f in buyers],
    )


def cutoffs_from_columns(
    std: Standard,
    *,
    recency: list[int],
    frequency: list[int],
    sales: list[int],
    pyramid: list[int],
) -> Cutoffs:
    """The same cut-offs from the buyers' columns (the set-based run reads only these)."""
    methods, fixed = std.rfm_methods, std.rfm_fixed

    def rfm_cut(metric: str, values: list[int]) -> tuple[int, ...]:
        return quantile_cutoffs(values) if methods[metric] == "quintile" else fixed[metric]

    ranked = sorted(pyramid, reverse=True)
    sales_desc = sorted(sales, reverse=True)
    total = sum(sales_desc)
    return Cutoffs(
        recency=rfm_cut("recency", recency),
        frequency=rfm_cut("frequency", frequency),
        monetary=rfm_cut("monetary", sales),
        pyramid=tuple(top_share_cutoff(ranked, share) for _code, share in std.pyramid_top_pct),
        abc=tuple(pareto_cutoff(sales_desc, total, share) for share in std.abc_pct),
        population=len(sales),
    )
