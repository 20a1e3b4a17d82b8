"""The facts of one customer, as plain data (pure Python, no Django import).

`facts.py` builds them for every customer in one pass of SQL aggregates; the
reference computation in the tests builds them from raw rows. `rules.py` turns
them into scores. Money is integer cents; dates are local (Asia/Shanghai) dates.
See docs/scoring.md for the precise definition of every field.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .standard_types import PointsRule


@dataclass(frozen=True, slots=True)
class Facts:
    customer_id: int
    as_of: dt.date
    created_on: dt.date
    # profile (current values)
    stage: str = "lead"
    industry: str = ""
    size_band: str = ""
    source: str = ""
    urgency: str = ""
    potential_class: str = ""
    contract_status: str = "none"
    is_strategic: bool = False
    satisfaction: int | None = None
    budget_known: bool = False
    # orders dated on or before as_of (W = sales window in days)
    first_order_on: dt.date | None = None
    last_order_on: dt.date | None = None
    orders_total: int = 0  # all orders on or before as_of
    order_days: int = 0  # distinct order dates in the window
    sales: int = 0  # cents, orders in the window
    sales_recent: int = 0  # cents, days_ago < W/2
    sales_previous: int = 0  # cents, W/2 <= days_ago < W
    active_quarters: int = 0  # quarters of the window (0..4) holding an order
    margin_base: int = 0  # cents of window orders that carry a gross margin
    profit_x: int = 0  # sum of amount_cents * margin_in_hundredths_of_a_percent
    # interactions on or before the end of as_of
    last_interaction_on: dt.date | None = None
    interactions_recent: int = 0  # in the interaction window
    # needs and contacts (current)
    needs_open: int = 0
    needs_matched: int = 0
    contacts: int = 0
    decision_maker_known: bool = False
    key_person_known: bool = False
    # credit inputs
    payment_method: str = ""
    monthly_plan: int | None = None  # cents
    # maturity state
    maturity: str | None = None
    promised_payment_on: dt.date | None = None
    paid_since_promise: bool = False

    @property
    def has_orders(self) -> bool:
        return self.last_order_on is not None

    @property
    def recency_days(self) -> int | None:
        return None if self.last_order_on is None else (self.as_of - self.last_order_on).days

    @property
    def tenure_days(self) -> int | None:
        return None if self.first_order_on is None else (self.as_of - self.first_order_on).days

    @property
    def days_since_interaction(self) -> int | None:
        if self.last_interaction_on is None:
            return None
        return (self.as_of - self.last_interaction_on).days

    @property
    def margin_pct(self) -> Fraction | None:
        """Sales-weighted gross margin (%) of window orders that carry one."""
        if self.margin_base == 0:
            return None
        return Fraction(self.profit_x, self.margin_base * 100)

    @property
    def profit(self) -> Fraction:
        """Gross profit in cents of window orders that carry a margin."""
        return Fraction(self.profit_x, 10000)

    @property
    def sales_growing(self) -> bool:
        return self.sales_recent > self.sales_previous


def _money(f: Facts) -> Fraction:
    return Fraction(f.sales, 100)


# Fields a points rule (lead score, potential) may test: name -> (kind, getter).
RULE_FIELDS: dict[str, tuple[str, Callable[[Facts], Any]]] = {
    "industry": ("str", lambda f: f.industry),
    "size_band": ("str", lambda f: f.size_band),
    "source": ("str", lambda f: f.source),
    "stage": ("str", lambda f: f.stage),
    "urgency": ("str", lambda f: f.urgency),
    "potential_class": ("str", lambda f: f.potential_class),
    "contract_status": ("str", lambda f: f.contract_status),
    "payment_method": ("str", lambda f: f.payment_method),
    "is_strategic": ("bool", lambda f: f.is_strategic),
    "budget_known": ("bool", lambda f: f.budget_known),
    "decision_maker_known": ("bool", lambda f: f.decision_maker_known),
    "key_person_known": ("bool", lambda f: f.key_person_known),
    "has_orders": ("bool", lambda f: f.has_orders),
    "sales_growing": ("bool", lambda f: f.sales_growing),
    "satisfaction": ("int", lambda f: f.satisfaction),
    "contacts": ("int", lambda f: f.contacts),
    "needs_open": ("int", lambda f: f.needs_open),
    "needs_matched": ("int", lambda f: f.needs_matched),
    "interactions_recent": ("int", lambda f: f.interactions_recent),
    "order_days": ("int", lambda f: f.order_days),
    "orders_total": ("int", lambda f: f.orders_total),
    "recency_days": ("int", lambda f: f.recency_days),
    "days_since_interaction": ("int", lambda f: f.days_since_interaction),
    "sales": ("money", _money),
}

RULE_OPS: dict[str, frozenset[str]] = {
    "eq": frozenset({"str", "int", "money"}),
    "ne": frozenset({"str", "int", "money"}),
    "in": frozenset({"str", "int"}),
    "not_in": frozenset({"str", "int"}),
    "gte": frozenset({"int", "money"}),
    "gt": frozenset({"int", "money"}),
    "lte": frozenset({"int", "money"}),
    "lt": frozenset({"int", "money"}),
    "is_true": frozenset({"bool"}),
    "is_false": frozenset({"bool"}),
    "is_set": frozenset({"str", "int"}),
    "is_blank": frozenset({"str", "int"}),
}


# --- points rules (lead score, potential) ------------------------------------


def rule_matches(rule: "PointsRule", facts: Facts) -> bool:
    """Does a lead/potential points rule hold for these facts (None never compares)."""
    _kind, getter = RULE_FIELDS[rule.field]
    value = getter(facts)
    op, target = rule.op, rule.value
    if op == "is_true":
        return value is True
    if op == "is_false":
        return value is False
    if op == "is_set":
        return value not in (None, "")
    if op == "is_blank":
        return value in (None, "")
    if value is None:
        return False
    if op in ("in", "not_in"):
        return (value in target) == (op == "in")
    if op == "eq":
        return value == target
    if op == "ne":
        return value != target
    if op == "gte":
        return value >= target
    if op == "gt":
        return value > target
    if op == "lte":
        return value <= target
    return value < target  # "lt"
