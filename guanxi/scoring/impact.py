"""Impact preview of a classification standard (before it is activated).

Everyone is scored twice in memory, on the same data and reference date: once
under the standard in force and once under the candidate. Nothing is written.
The difference says, per dimension, how many customers would move from which
value to which: "412 customers would move from Core to Strategic".

The engine's own pieces are reused (facts SQL, population cut-offs, pure rules),
so the preview is exactly what activation would do to the tiers.
"""

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from . import rules
from .facts import load_facts
from .models import ClassificationStandard
from .population import compute_cutoffs
from .results import DIMENSIONS, Scores
from .selectors import standard_active
from .standard_types import Standard
from .standards import default_config, parse_standard

CACHE_SECONDS = 300  # the drill-down pages reuse the preview for a few minutes
Pair = tuple[str, str]


@dataclass
class Impact:
    """Moves per dimension over the customers the reader may see."""

    as_of: dt.date
    candidate_version: int
    baseline_version: int | None
    customers: int = 0
    changed_customers: int = 0
    counts: dict[str, Counter] = field(default_factory=dict)  # dim -> (from, to) -> n
    moves: dict[str, dict[Pair, list[int]]] = field(default_factory=dict)  # only from != to

    def moved(self, dimension: str) -> int:
        return sum(len(ids) for ids in self.moves.get(dimension, {}).values())


def score_with(std: Standard, *, as_of: dt.date, facts=None) -> list[Scores]:
    """Every live customer scored under `std`, in memory (like recompute_all(write=False)
    but for any standard, not only the active one)."""
    facts = load_facts(as_of=as_of, standard=std) if facts is None else facts
    cut = compute_cutoffs(facts, std)
    return [rules.score(f, std, cut) for f in facts]


def baseline_standard() -> Standard:
    active = standard_active()
    return parse_standard(active) if active else Standard(0, default_config())


def _compare(old: Iterable[Scores], new: Iterable[Scores]) -> dict[str, dict[Pair, list[int]]]:
    """dimension -> (from, to) -> customer ids, including those that stay (from == to)."""
    before = {s.customer_id: s for s in old}
    out: dict[str, dict[Pair, list[int]]] = {dim: {} for dim in DIMENSIONS}
    for s in new:
        was = before.get(s.customer_id)
        for dim in DIMENSIONS:
            pair = (getattr(was, dim) if was else "", getattr(s, dim))
            out[dim].setdefault(pair, []).append(s.customer_id)
    return out


def _cache_key(candidate: ClassificationStandard, baseline: Standard, as_of: dt.date) -> str:
    digest = hashlib.sha256(
        json.dumps(
            [candidate.config, baseline.config, baseline.version], sort_keys=True, default=str
        ).encode()
    ).hexdigest()[:24]
    return f"scoring:impact:{candidate.pk}:{as_of.isoformat()}:{digest}"


def raw_moves(
    candidate: ClassificationStandard, *, as_of: dt.date | None = None
) -> tuple[int | None, dict[str, dict[Pair, list[int]]]]:
    """(baseline version, moves of every customer), cached briefly."""
    as_of = as_of or timezone.localdate()
    base = baseline_standard()
    key = _cache_key(candidate, base, as_of)
    hit = cache.get(key)
    if hit is not None:
        return hit
    new_std = parse_standard(candidate)
    facts = load_facts(as_of=as_of, standard=new_std)
    same_windows = (base.sales_days, base.interaction_days) == (
        new_std.sales_days,
        new_std.interaction_days,
    )
    old_facts = facts if same_windows else None
    old = score_with(base, as_of=as_of, facts=old_facts)
    new = score_with(new_std, as_of=as_of, facts=facts)
    result = (base.version or None, _compare(old, new))
    cache.set(key, result, CACHE_SECONDS)
    return result


def standard_impact(
    *, user: User, candidate: ClassificationStandard, as_of: dt.date | None = None
) -> Impact:
    """What activating `candidate` would change, over the customers `user` may see."""
    as_of = as_of or timezone.localdate()
    baseline_version, moves = raw_moves(candidate, as_of=as_of)
    visible = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    impact = Impact(as_of=as_of, candidate_version=candidate.version, baseline_version=None)
    impact.baseline_version = baseline_version
    changed: set[int] = set()
    seen: set[int] = set()
    for dim, pairs in moves.items():
        counts: Counter = Counter()
        moved: dict[Pair, list[int]] = {}
        for pair, ids in pairs.items():
            mine = [i for i in ids if i in visible]
            if not mine:
                continue
            seen.update(mine)
            counts[pair] = len(mine)
            if pair[0] != pair[1]:
                moved[pair] = mine
                changed.update(mine)
        impact.counts[dim] = counts
        impact.moves[dim] = moved
    impact.customers = len(seen)
    impact.changed_customers = len(changed)
    return impact


def moved_customer_ids(
    *, user: User, candidate: ClassificationStandard, dimension: str, pair: Pair
) -> list[int]:
    """Ids of the customers `user` may see that would move `pair` in `dimension`."""
    if dimension not in DIMENSIONS or pair[0] == pair[1]:
        return []
    _version, moves = raw_moves(candidate)
    ids = moves.get(dimension, {}).get(pair, [])
    if not ids:
        return []
    visible = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    return sorted(i for i in ids if i in visible)
