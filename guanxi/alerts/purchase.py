"""The purchase cycle of one customer, as the repurchase rule learns it (sql.repurchase_due).

Shown on the purchase-cycle page beside the hand-set value, so a rep sees what the
rule would use before overriding it.
"""

import datetime as dt
from collections.abc import Iterable

from guanxi.customers.models import Order

from .models import PurchaseCycle


def learned_cycle(
    order_days: Iterable[dt.date], *, last_intervals: int, min_orders: int
) -> int | None:
    """Median of the gaps between the latest `last_intervals` + 1 distinct order days,
    rounded half away from zero like SQL ROUND; None with fewer than `min_orders` days."""
    days = sorted(set(order_days))[-(last_intervals + 1) :]
    gaps = sorted((b - a).days for a, b in zip(days, days[1:], strict=False))
    if not gaps or len(gaps) < min_orders - 1:
        return None
    n = len(gaps)
    middle = (gaps[(n - 1) // 2] + gaps[n // 2]) / 2
    return int(middle + 0.5)


def cycle_of(customer_id: int, *, as_of: dt.date, params: dict[str, int]) -> dict[str, int | None]:
    """{'hand': days set by hand or None, 'learned': days from the orders or None}."""
    hand = PurchaseCycle.objects.filter(customer_id=customer_id).values_list("days", flat=True)
    days = Order.objects.filter(customer_id=customer_id, ordered_on__lte=as_of).values_list(
        "ordered_on", flat=True
    )
    return {
        "hand": hand.first(),
        "learned": learned_cycle(
            days, last_intervals=params["last_intervals"], min_orders=params["min_orders"]
        ),
    }
