"""Reasons of stored scores, derived on read.

The set-based full run stores scores without reasons (computing a million
explanations nobody reads would cost more than the scores). A reader asks here:
the customer's facts as of the latest run's reference date, the standard version and
the population cut-offs of that run go through the pure rules — the same function that
the property test proves equal to the stored scores — so the explanation is the one
that produced the stored values. Scores written by the incremental path keep their
stored reasons.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from . import rules
from .facts import load_facts
from .models import ClassificationStandard, CustomerScore, ScoringRun
from .results import DIMENSIONS, Cutoffs, Scores
from .standards import parse_standard


def _latest_run(version: int) -> tuple[dt.date, Cutoffs] | None:
    row = (
        ScoringRun.objects.filter(standard_version=version, status="done")
        .exclude(mode="")
        .order_by("-id")
        .values_list("as_of", "cutoffs")
        .first()
    )
    return None if row is None else (row[0], Cutoffs.from_json(row[1]))


def _run_cutoffs(version: int, as_of: dt.date) -> Cutoffs | None:
    runs = ScoringRun.objects.filter(standard_version=version, status="done").order_by("-id")
    data = runs.filter(as_of=as_of).values_list("cutoffs", flat=True).first()
    if data is None:
        data = runs.values_list("cutoffs", flat=True).first()
    return None if data is None else Cutoffs.from_json(data)


def _agrees(score: CustomerScore, result: Scores) -> bool:
    return all((getattr(score, d) or "") == getattr(result, d) for d in DIMENSIONS)


def derive(scores: Iterable[CustomerScore]) -> dict[int, tuple[Scores, bool]]:
    """Per customer id: the pure rules' result for the score's facts, standard and
    cut-offs, and whether it agrees with the stored values (False when the data
    changed after the run without a rescore). Customers that can no longer be scored
    (deleted, standard gone) are left out.

    A row keeps the reference date of the run that last changed it, but every later
    full or nightly run of the same standard confirmed it (a nightly run rescores
    whoever could have moved), so reasons are derived as of the latest such run, with
    its cut-offs: day counts in them are those of the last run, not of the change.
    Where they agree, `score.as_of` is set to that date in memory."""
    groups: dict[tuple[int, dt.date], list[CustomerScore]] = defaultdict(list)
    latest: dict[int, tuple[dt.date, Cutoffs] | None] = {}
    cutoffs: dict[tuple[int, dt.date], Cutoffs | None] = {}
    for score in scores:
        version = score.standard_version
        if version not in latest:
            latest[version] = _latest_run(version)
        run = latest[version]
        if run is not None and run[0] >= score.as_of:
            groups[(version, run[0])].append(score)
            cutoffs[(version, run[0])] = run[1]
        else:
            groups[(version, score.as_of)].append(score)
    out: dict[int, tuple[Scores, bool]] = {}
    for (version, as_of), members in groups.items():
        standard = ClassificationStandard.objects.filter(version=version).first()
        key = (version, as_of)
        cut = cutoffs[key] if key in cutoffs else _run_cutoffs(version, as_of)
        if standard is None or cut is None:
            continue
        std = parse_standard(standard)
        by_id = {s.customer_id: s for s in members}
        for facts in load_facts(as_of=as_of, standard=std, customer_ids=sorted(by_id)):
            result = rules.score(facts, std, cut)
            score = by_id[facts.customer_id]
            agrees = _agrees(score, result)
            if agrees:
                score.as_of = as_of
            out[facts.customer_id] = (result, agrees)
    return out


def reasons_of(score: CustomerScore) -> dict[str, Any]:
    """The reasons behind one stored score. If the data moved since it was computed,
    the customer is rescored now (the stored score was stale) and those reasons shown."""
    if score.reasons:
        return score.reasons
    derived = derive([score]).get(score.customer_id)
    if derived is not None and derived[1]:
        return derived[0].reasons
    from .recompute import recompute_customer

    fresh = recompute_customer(score.customer_id)
    return fresh.reasons if fresh is not None else {}


def fill_reasons(scores: Iterable[CustomerScore]) -> None:
    """Set `reasons` in memory on each score that has none (one facts query per
    standard version and reference date, for list pages and the API)."""
    missing = [s for s in scores if not s.reasons]
    derived = derive(missing)
    for score in missing:
        if score.customer_id in derived:
            score.reasons = derived[score.customer_id][0].reasons
