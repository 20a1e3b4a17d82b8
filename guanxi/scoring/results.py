"""Result types of the rules (pure Python, no Django import)."""

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

Reason = tuple[str, dict[str, Any]]

# Categorical results whose every change is written to the score history.
DIMENSIONS = (
    "value_tier",
    "potential_tier",
    "matrix",
    "rfm_segment",
    "four_class",
    "health_grade",
    "lead_grade",
    "lifecycle",
    "credit_rating",
    "pyramid",
    "abc",
)
HEALTH_COMPONENTS = ("sales", "repurchase", "satisfaction", "interaction")
PYRAMID_LEVELS = ("key", "major", "ordinary")


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Population cut-offs of one run; see population.compute_cutoffs."""

    recency: tuple[int, ...] = ()
    frequency: tuple[int, ...] = ()
    monetary: tuple[int, ...] = ()
    pyramid: tuple[int | None, ...] = (None, None, None)  # min value for key, major, ordinary
    abc: tuple[int | None, ...] = (None, None)  # min sales (cents) for A, B
    population: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "recency": list(self.recency),
            "frequency": list(self.frequency),
            "monetary": list(self.monetary),
            "pyramid": list(self.pyramid),
            "abc": list(self.abc),
            "population": self.population,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Cutoffs":
        return cls(
            recency=tuple(data["recency"]),
            frequency=tuple(data["frequency"]),
            monetary=tuple(data["monetary"]),
            pyramid=tuple(data["pyramid"]),
            abc=tuple(data["abc"]),
            population=int(data["population"]),
        )


@dataclass(frozen=True, slots=True)
class Scores:
    customer_id: int
    standard_version: int
    as_of: dt.date
    sales: int  # cents in the sales window
    profit: int  # cents, rounded half up
    margin_hundredths: int | None  # gross margin in 1/100 %
    frequency: int
    interactions_recent: int
    last_order_on: dt.date | None
    last_interaction_on: dt.date | None
    value_tier: str
    potential_score: int
    potential_tier: str
    matrix: str
    r: int | None
    f: int | None
    m: int | None
    rfm_segment: str
    four_class: str
    four_class_exact: bool | None
    health_score: int | None
    health_grade: str
    health_problem: str
    next_evaluation_on: dt.date | None
    lead_score: int
    lead_grade: str
    lead_qualified: bool
    lifecycle: str
    credit_rating: str
    credit_limit: int  # cents
    payment_term_days: int
    pyramid: str
    abc: str
    reasons: dict[str, list[Reason]] = field(default_factory=dict)


# --- formatting (deterministic, locale-neutral) ------------------------------


def cny(cents: int | Fraction) -> str:
    """Cents as yuan with thousands separators: 130000000 -> '1,300,000'."""
    # round half up to whole cents
    hundredths = abs(cents) if isinstance(cents, int) else int((abs(cents) * 2 + 1) // 2)
    sign = "-" if cents < 0 else ""
    yuan, rest = divmod(hundredths, 100)
    return f"{sign}{yuan:,}" if rest == 0 else f"{sign}{yuan:,}.{rest:02d}"


def pct(value: Fraction) -> str:
    tenths = (value * 20 + 1) // 2
    whole, rest = divmod(int(tenths), 10)
    return f"{whole}" if rest == 0 else f"{whole}.{rest}"
