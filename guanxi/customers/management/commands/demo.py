"""`guanxi demo`: load deterministic demo data. The work is in guanxi.customers.demo_data."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from guanxi.customers import demo_data
from guanxi.customers.matching import keys_backfill
from guanxi.followup.calllist import calllists_build
from guanxi.followup.recompute import followups_recompute
from guanxi.scoring.demo import demo_maturity
from guanxi.scoring.models import ScoringRun
from guanxi.scoring.recompute import recompute_all
from guanxi.scoring.services import standard_ensure_active

HISTORY_MONTHS = 4
MAX_HISTORY_MONTHS = 24  # the demo's orders span 24 months
NIGHTLY_AT = dt.time(2, 30)  # the hour of the nightly job (scoring.tasks)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be a date like 2025-06-30, not {value!r}.") from exc


class Command(BaseCommand):
    help = (
        "Load demo data: users director, manager_a, manager_b, rep_a1…, rep_b1…, admin "
        "(teams A and B) and Chinese customers with contacts, interactions, orders and needs. "
        "The same --seed (and --as-of) always gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = demo_data.DemoOptions()
        parser.add_argument(
            "--customers",
            type=int,
            default=defaults.customers,
            metavar="N",
            help=f"customers to create (default {defaults.customers})",
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=defaults.orders,
            metavar="M",
            help=f"orders over the last 24 months (default {defaults.orders})",
        )
        parser.add_argument(
            "--reps",
            type=int,
            default=defaults.reps,
            metavar="R",
            help=f"sales reps split over teams A and B (default {defaults.reps})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=defaults.seed,
            metavar="S",
            help=f"random seed; same seed, same data (default {defaults.seed})",
        )
        parser.add_argument(
            "--password", metavar="P", help="password of every demo user (default: random)"
        )
        parser.add_argument(
            "--as-of",
            type=_date,
            metavar="YYYY-MM-DD",
            help="reference date the history leads up to (default: today)",
        )
        parser.add_argument(
            "--history-months",
            type=int,
            default=HISTORY_MONTHS,
            metavar="K",
            help=(
                "on a database never scored, replay the nightly scoring of the K months "
                "before the reference date, one run every 30 days, so that score history, "
                "trends and the migration matrix have something to show "
                f"(default {HISTORY_MONTHS}; 0: score the day only)"
            ),
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any customer exists"
        )

    def handle(self, *args, **opts) -> None:
        options = demo_data.DemoOptions(
            customers=opts["customers"],
            orders=opts["orders"],
            reps=opts["reps"],
            seed=opts["seed"],
            password=opts["password"],
            as_of=opts["as_of"],
        )
        try:
            options.validate()
        except demo_data.DemoError as exc:
            raise CommandError(str(exc)) from exc
        if not 0 <= opts["history_months"] <= MAX_HISTORY_MONTHS:
            raise CommandError(
                f"--history-months must be between 0 and {MAX_HISTORY_MONTHS}, "
                f"not {opts['history_months']}."
            )
        if opts["if_empty"] and demo_data.has_customers():
            self.stdout.write("Customers already exist: demo data not loaded (--if-empty).")
            return
        result = demo_data.load_demo(options, progress=self.stdout.write)
        keyed = keys_backfill()  # duplicate matching (imports) needs the keys of bulk rows
        self.stdout.write(f"{keyed:,} matching keys computed")
        classified = demo_maturity()
        self.stdout.write(f"{classified:,} maturity classes set")
        # Score right away so every page shows tiers and explanations from the start,
        # after the nights before it, so that they show their history too.
        today = opts["as_of"] or timezone.localdate()
        replay = 0 if ScoringRun.objects.exists() else opts["history_months"]  # a fresh start
        nights = [today - dt.timedelta(days=30 * months) for months in range(replay, 0, -1)]
        for night in nights:
            at = timezone.make_aware(dt.datetime.combine(night, NIGHTLY_AT))
            if night == nights[0]:
                standard_ensure_active(at=at)  # in force since the first night, if new
            recompute_all(as_of=night, trigger="demo", at=at)
        if replay:
            self.stdout.write(f"scores replayed for {replay} past months")
        summary = recompute_all(as_of=opts["as_of"], trigger="demo")
        self.stdout.write(
            f"{summary.customers:,} customers scored under standard v{summary.standard_version}"
            f" in {summary.seconds:.1f}s"
        )
        followups = followups_recompute(today=opts["as_of"])
        self.stdout.write(f"{followups:,} next follow-up dates set")
        # Today's lists at once, as the morning job would have built them.
        built = calllists_build(opts["as_of"] or timezone.localdate(), trigger="demo")
        self.stdout.write(f"{built.lists:,} call lists, {built.lines:,} lines, {built.list_date}")
        counts = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {result.seconds:.1f}s"))
        if counts:
            self.stdout.write(counts)
        if result.created_users and result.password_generated:
            self.stdout.write(
                f"Password of the new demo users ({', '.join(result.created_users)}): "
                f"{result.password}"
            )
        elif not result.created_users:
            self.stdout.write("All demo users existed already; their passwords are unchanged.")
