"""Recompute scores: set-based for everyone, or incrementally for one customer.

`recompute_all` runs in ONE transaction, so a crash leaves every customer fully old
or fully new: set-based inside the database (fullrun.py: facts table, cut-offs,
every score by SQL restating the pure rules, history of the customers that moved,
one merge). A nightly run does the same for the customers whose scores can have
changed since the previous run (nightly.py); a full run for everyone. Stored scores
carry no reasons; they are derived on read (explain.py). A dry run (`write=False`)
scores everyone with the pure rules in memory. `recompute_customer` runs the same
facts SQL restricted to one customer with the cut-offs of the last run and the pure
rules, and stores the reasons.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from . import bulkwrite, fullrun, nightly, rules
from .facts import load_facts, row_to_facts
from .facts_types import Facts
from .models import CustomerMaturity, CustomerScore, FactsChange, ScoreChange, ScoringRun
from .population import compute_cutoffs
from .results import DIMENSIONS, Cutoffs, Scores
from .standard_types import Standard
from .standards import parse_standard

Progress = Callable[[str, int, int], None]

SCORE_TABLE = CustomerScore._meta.db_table
MATURITY_TABLE = CustomerMaturity._meta.db_table
CHANGE_TABLE = ScoreChange._meta.db_table
SCORE_COLUMNS = (
    "customer_id", "standard_version", "as_of", "computed_at", "sales", "profit", "margin",
    "frequency", "interactions_recent", "last_order_on", "last_interaction_on",
    "value_tier", "potential_score", "potential_tier", "matrix", "r", "f", "m", "rfm_segment",
    "four_class", "four_class_exact", "health_score", "health_grade", "health_problem",
    "next_evaluation_on", "lead_score", "lead_grade", "lead_qualified", "lifecycle",
    "credit_rating", "credit_limit", "payment_term_days", "pyramid", "abc", "reasons",
)  # fmt: skip
CHANGE_COLUMNS = (
    "customer_id", "dimension", "from_value", "to_value", "changed_at", "as_of", "cause",
    "standard_version", "changed_by_id", "reason",
)  # fmt: skip
MATURITY_COLUMNS = (
    "customer_id", "value", "since", "set_by_id", "reason", "promise_made_on",
    "promised_payment_on",
)  # fmt: skip
# Which reasons explain a change of each dimension.
REASON_KEYS = {"matrix": ("value_tier", "potential_tier")}


@dataclass
class RunSummary:
    run_id: int | None
    as_of: dt.date
    standard_version: int
    customers: int
    changes: int
    seconds: float
    # Only a dry run (write=False) keeps every Scores object; a written run keeps counts.
    scores: list[Scores] = field(default_factory=list, repr=False)
    matrix_counts: dict[str, int] = field(default_factory=dict)
    rescored: int = 0  # customers scored again (all of them in a full run)
    refreshed: int = 0  # customers whose stored facts a nightly run rebuilt


def _matrix_counts(scores: Iterable[Scores]) -> dict[str, int]:
    return dict(Counter(s.matrix or "-" for s in scores))


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def score_row(s: Scores, computed_at: dt.datetime) -> tuple[Any, ...]:
    margin = None if s.margin_hundredths is None else _cents(s.margin_hundredths)
    reasons = json.dumps(s.reasons, ensure_ascii=False, separators=(",", ":"))
    return (
        s.customer_id, s.standard_version, s.as_of, computed_at, _cents(s.sales),
        _cents(s.profit), margin, s.frequency, s.interactions_recent,
        s.last_order_on, s.last_interaction_on, s.value_tier, s.potential_score,
        s.potential_tier, s.matrix, s.r, s.f, s.m, s.rfm_segment, s.four_class,
        s.four_class_exact, s.health_score, s.health_grade, s.health_problem,
        s.next_evaluation_on, s.lead_score, s.lead_grade, s.lead_qualified, s.lifecycle,
        s.credit_rating, _cents(s.credit_limit), s.payment_term_days, s.pyramid, s.abc, reasons,
    )  # fmt: skip


def _old_scores(customer_id: int | None) -> dict[int, tuple[Any, ...]]:
    """Stored (standard_version, *DIMENSIONS) per customer."""
    cols = ", ".join(("customer_id", "standard_version", *DIMENSIONS))
    where = "" if customer_id is None else "WHERE customer_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM {SCORE_TABLE} {where}",  # noqa: S608 - our own names
            [] if customer_id is None else [customer_id],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _old_reasons(ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Stored reasons of the customers that changed (parsed only for those)."""
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT customer_id, reasons FROM {SCORE_TABLE} "  # noqa: S608
                f"WHERE customer_id IN ({marks})",
                chunk,
            )
            for cid, raw in cursor.fetchall():
                out[cid] = _parsed(raw)
    return out


def _explain(reasons: dict[str, Any], dimension: str) -> list[Any]:
    return [r for key in REASON_KEYS.get(dimension, (dimension,)) for r in reasons.get(key, [])]


@dataclass(frozen=True)
class Move:
    """One dimension of one customer whose value changed, with the new explanation
    (kept small so a full run never holds every customer's reasons at once)."""

    customer_id: int
    dimension: str
    was: str
    now: str
    cause: str
    as_of: dt.date
    standard_version: int
    after: list[Any]
    before: list[Any] | None = None  # None: read from the stored reasons (change_rows)


def _parsed(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else json.loads(raw or "{}")


def diff_moves(old: dict[int, tuple[Any, ...]], new: Iterable[Scores]) -> list[Move]:
    """Every dimension whose value differs from the stored one. A customer scored for
    the first time has nothing to compare with: no move."""
    moved: list[Move] = []
    for s in new:
        before = old.get(s.customer_id)
        if before is None:
            continue
        old_version, *old_values = before
        cause = "data" if old_version == s.standard_version else "standard"
        for dim, was in zip(DIMENSIONS, old_values, strict=True):
            value = getattr(s, dim)
            if (was or "") != value:
                moved.append(
                    Move(s.customer_id, dim, was or "", value, cause, s.as_of,
                         s.standard_version, _explain(s.reasons, dim))
                )  # fmt: skip
    return moved


def staged_moves(
    rows: Iterable[Sequence[Any]], std: Standard, cut: Cutoffs, as_of: dt.date
) -> list[Move]:
    """The moves of a set-based run from its moved rows (fullrun.moved_rows): old and
    new values from the stored and staged scores, the new explanation from the pure
    rules, only for the dimensions that moved (the SQL equals the rules:
    tests/scoring/test_equivalence.py). Touches no database."""
    width = len(DIMENSIONS)
    moved: list[Move] = []
    for customer_id, old_version, stored, *values in rows:
        old_values, new_values = values[:width], values[width : 2 * width]
        facts = row_to_facts(values[2 * width :], as_of)
        old_reasons = _parsed(stored)
        changed = [
            (dim, was or "", now or "")
            for dim, was, now in zip(DIMENSIONS, old_values, new_values, strict=True)
            if (was or "") != (now or "")
        ]
        keys = {key for dim, _was, _now in changed for key in REASON_KEYS.get(dim, (dim,))}
        reasons = rules.explain(facts, std, cut, keys)
        cause = "data" if old_version == std.version else "standard"
        moved.extend(
            Move(customer_id, dim, was, now, cause, as_of, std.version, _explain(reasons, dim),
                 _explain(old_reasons, dim))
            for dim, was, now in changed
        )  # fmt: skip
    return moved


def change_rows(moves: Sequence[Move], now: dt.datetime) -> list[tuple[Any, ...]]:
    """History rows of `moves`; reads the stored (old) reasons the moves do not carry,
    so call it before the new scores are merged."""
    old_reasons = _old_reasons(sorted({m.customer_id for m in moves if m.before is None}))
    return history_rows(moves, now, old_reasons)


def history_rows(
    moves: Iterable[Move], now: dt.datetime, old_reasons: dict[int, dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """History rows of `moves`, the old explanation from the move or `old_reasons`."""
    rows = []
    for m in moves:
        before = m.before
        if before is None:
            before = _explain(old_reasons.get(m.customer_id, {}), m.dimension)
        reason = {"before": before, "after": m.after}
        rows.append(
            (m.customer_id, m.dimension, m.was, m.now, now, m.as_of, m.cause,
             m.standard_version, None, json.dumps(reason, ensure_ascii=False))
        )  # fmt: skip
    return rows


def diff_changes(
    old: dict[int, tuple[Any, ...]], new: Iterable[Scores], now: dt.datetime
) -> list[tuple[Any, ...]]:
    """History rows for every dimension whose value differs from the stored one."""
    return change_rows(diff_moves(old, new), now)


def apply_maturity(facts: Sequence[Facts], now: dt.datetime, std_version: int) -> int:
    """Maturity moves the data decides (rules.maturity_auto). Returns changes made."""
    created, broken = [], []
    for f in facts:
        move = rules.maturity_auto(f)
        if move is None:
            continue
        (created if f.maturity is None else broken).append((f, move))
    bulkwrite.insert_rows(
        MATURITY_TABLE,
        MATURITY_COLUMNS,
        ((f.customer_id, value, now, None, "", None, None) for f, (value, _r) in created),
    )
    history = [
        (f.customer_id, "maturity", f.maturity or "", value, now, f.as_of, "auto", std_version,
         None, json.dumps({"after": [reason]}, ensure_ascii=False))
        for f, (value, reason) in created
    ]  # fmt: skip
    for f, (value, reason) in broken:
        moved = CustomerMaturity.objects.filter(customer_id=f.customer_id, value=f.maturity).update(
            value=value, since=now, set_by=None, reason="", promise_made_on=None,
            promised_payment_on=None,
        )  # fmt: skip
        if moved:
            history.append(
                (f.customer_id, "maturity", f.maturity or "", value, now, f.as_of, "auto",
                 std_version, None, json.dumps({"after": [reason]}, ensure_ascii=False))
            )  # fmt: skip
    bulkwrite.insert_rows(CHANGE_TABLE, CHANGE_COLUMNS, history)
    return len(history)


def _latest_cutoffs(version: int) -> Cutoffs | None:
    data = (
        ScoringRun.objects.filter(standard_version=version, status="done")
        .order_by("-id")
        .values_list("cutoffs", flat=True)
        .first()
    )
    return None if data is None else Cutoffs.from_json(data)


def _history(
    moved: Sequence[Sequence[Any]], std: Standard, cut: Cutoffs, as_of: dt.date, now: dt.datetime
) -> tuple[list[tuple[Any, ...]], int]:
    """History rows of a set-based run's moved rows, and how many customers moved.
    Runs in a worker thread, where a query would open a second connection outside the
    run's transaction (and on SQLite wait for the run's own write lock): refused."""

    def refuse(*_args: Any) -> None:
        raise RuntimeError("the history worker must not query the database")

    try:
        with connection.execute_wrapper(refuse):
            moves = staged_moves(moved, std, cut, as_of)
            return bulkwrite.db_rows(history_rows(moves, now, {})), len(moved)
    finally:
        connection.close()  # the worker thread's own, if a refused query opened one


def recompute_all(
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    trigger: str = "manual",
    write: bool = True,
    full: bool = False,
    counts: bool = False,
    at: dt.datetime | None = None,
) -> RunSummary:
    """Score every live customer as of `as_of` (default today) in one transaction.

    A nightly run (the default when a previous run's stored facts can be trusted)
    refreshes and rescores only the customers whose scores can have changed
    (nightly.py); `full` rebuilds every customer's facts from the raw tables and
    rescores everyone. Both store the same scores. `counts` fills matrix_counts.
    `at` is the instant the run records as its own (scores computed, history and
    maturity moves made; default now): the demo replays past nights with it."""
    started = time.monotonic()
    as_of = as_of or timezone.localdate()
    report = progress or (lambda phase, done, total: None)
    from .services import standard_ensure_active

    std = parse_standard(standard_ensure_active())
    if not write:  # a dry run keeps every Scores object, with its reasons
        with transaction.atomic():
            facts = load_facts(as_of=as_of, standard=std)
            report("facts", len(facts), len(facts))
            cut = compute_cutoffs(facts, std)
            scores = [rules.score(f, std, cut) for f in facts]
            report("scores", len(scores), len(scores))
        return RunSummary(
            None, as_of, std.version, len(scores), 0, 0.0, scores, _matrix_counts(scores)
        )
    run = ScoringRun.objects.create(as_of=as_of, standard_version=std.version, trigger=trigger)
    try:
        with transaction.atomic():
            bulkwrite.lock_all([SCORE_TABLE, MATURITY_TABLE, nightly.FACTS_TABLE])
            fullrun.batch_settings()
            previous = None if full else nightly.previous_run(std, as_of)
            nightly.take_log()  # before the facts are read: see nightly.take_log
            refreshed = nightly.refresh_ids(
                None if previous is None else previous.as_of, as_of, std
            )
            since = None if previous is None else previous.as_of
            stored = None if previous is None else previous.customers
            population = nightly.store_facts(as_of, std, since=since, stored=stored)
            nightly.settle_log()  # after the last read of the records
            report("facts", population, population)
            cut = fullrun.cutoffs(std, as_of)
            short = previous and nightly.build_candidates(previous, as_of, std, cut)
            rescored = fullrun.build_facts(as_of, None if short is None else nightly.CANDIDATES)
            few = rescored * 4 < population
            now = at or timezone.now()
            fullrun.stage_scores(std, cut, as_of, now)
            report("scores", rescored, population)
            moved = fullrun.moved_rows()  # the old reasons with them: before the merge
            # The pure rules explain the moves in a worker thread while the database
            # merges; the two take about as long, the worker touches no database, and
            # its error, if any, is raised here inside the transaction.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="history") as pool:
                pending = pool.submit(_history, moved, std, cut, as_of, now)
                broken = fullrun.broken_promises(as_of)
                with nightly.facts_kept_current():
                    changes_count = fullrun.new_maturity(now, as_of, std.version)
                    changes_count += apply_maturity(broken, now, std.version)
                nightly.note_maturity_moves([f.customer_id for f in broken])
                with fullrun.lookups_by_key(few):
                    fullrun.merge(SCORE_COLUMNS)
                changes, movers = pending.result()
            report("history", movers, rescored)
            changes_count += len(changes)
            bulkwrite.insert_rows(CHANGE_TABLE, CHANGE_COLUMNS, changes, prepared=True)
            nightly.forget_log()
            if previous is None:
                fullrun.analyze([SCORE_TABLE, nightly.FACTS_TABLE])
            matrix = fullrun.matrix_counts() if counts else {}
            fullrun.drop_tables()
            nightly.drop_tables()
            report("write", rescored, population)
            ScoringRun.objects.filter(pk=run.pk).update(
                status="done",
                finished_at=timezone.now(),
                mode="full" if previous is None else "nightly",
                customers=population,
                rescored=rescored,
                changes=changes_count,
                cutoffs=cut.to_json(),
            )
    except Exception as exc:
        if not connection.needs_rollback:
            ScoringRun.objects.filter(pk=run.pk).update(
                status="failed", finished_at=timezone.now(), error=repr(exc)[:2000]
            )
        raise
    seconds = time.monotonic() - started
    return RunSummary(
        run.pk,
        as_of,
        std.version,
        population,
        changes_count,
        seconds,
        [],
        matrix,
        rescored,
        population if previous is None else refreshed,
    )


def recompute_customer(customer_id: int, *, as_of: dt.date | None = None) -> Scores | None:
    """Rescore one customer now, with the population cut-offs of the last full run.
    Returns None for a deleted or unknown customer. Falls back to a full run when
    the active standard has never been run."""
    as_of = as_of or timezone.localdate()
    from .services import standard_ensure_active

    std = parse_standard(standard_ensure_active())
    cut = _latest_cutoffs(std.version)
    if cut is None:
        recompute_all(as_of=as_of, trigger="first incremental")
        return recompute_customer(customer_id, as_of=as_of)
    with transaction.atomic():
        bulkwrite.lock_customer([SCORE_TABLE, MATURITY_TABLE], customer_id)
        facts = load_facts(as_of=as_of, standard=std, customer_id=customer_id)
        if not facts:
            return None
        result = rules.score(facts[0], std, cut)
        now = timezone.now()
        changes = diff_changes(_old_scores(customer_id), [result], now)
        apply_maturity(facts, now, std.version)
        bulkwrite.insert_rows(CHANGE_TABLE, CHANGE_COLUMNS, changes)
        bulkwrite.upsert_one(SCORE_TABLE, "customer_id", SCORE_COLUMNS, score_row(result, now))
        # Scored as of another day than the last run: the next nightly run rescores it.
        FactsChange.objects.create(customer_id=customer_id)
    return result
