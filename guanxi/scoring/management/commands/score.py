"""`guanxi score [--customer NUMBER] [--as-of YYYY-MM-DD] [--full] [--dry-run]`."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from guanxi.customers.models import Customer
from guanxi.scoring.recompute import recompute_all, recompute_customer


class Command(BaseCommand):
    help = (
        "Recompute classification and scores. --as-of scores the data as it stood on "
        "that date (only orders and interactions on or before it count). Without --full "
        "only the customers whose scores can have changed since the last run are "
        "rescored (the nightly run); --full rebuilds everyone's facts from the records."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customer", metavar="NUMBER", help="only this customer number")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="reference date (default today)")
        parser.add_argument(
            "--full", action="store_true", help="rebuild every customer's facts and rescore all"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="compute and report without writing"
        )

    def handle(
        self, *args, customer=None, as_of=None, full=False, dry_run=False, **options
    ) -> None:
        self.verbosity = options.get("verbosity", 1)
        day = None
        if as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError as exc:
                raise CommandError(f"--as-of: not a date: {as_of!r}") from exc
        if customer:
            pk = Customer.objects.alive().filter(number=customer).values_list("pk", flat=True)
            if not pk:
                raise CommandError(f"no customer numbered {customer!r}")
            result = recompute_customer(pk[0], as_of=day)
            if result is None:
                raise CommandError(f"customer {customer!r} did not exist on {day}")
            self.stdout.write(
                f"{customer}: {result.matrix or '-'} RFM={result.r}{result.f}{result.m} "
                f"class={result.four_class or '-'} health={result.health_score} "
                f"lead={result.lead_score} lifecycle={result.lifecycle} "
                f"credit={result.credit_rating} pyramid={result.pyramid or '-'} "
                f"abc={result.abc or '-'}"
            )
            return
        summary = recompute_all(
            as_of=day,
            progress=self._progress,
            trigger="command",
            write=not dry_run,
            full=full,
            counts=True,
        )
        for label, n in sorted(summary.matrix_counts.items()):
            self.stdout.write(f"  {label:<16} {n}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.customers} customers scored as of {summary.as_of} under standard "
                f"v{summary.standard_version}; {summary.changes} changes"
                + ("" if dry_run else f"; {summary.rescored} rescored; {summary.seconds:.1f}s")
            )
        )

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self.verbosity >= 2:
            self.stderr.write(f"{phase}: {done}/{total}")
