"""`guanxi alerts [--as-of YYYY-MM-DD] [--digest]`."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from guanxi.alerts.digest import send_digests
from guanxi.alerts.job import run_alerts


class Command(BaseCommand):
    help = "Open and close reminders/warnings for every customer (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="reference date (default now)")
        parser.add_argument("--digest", action="store_true", help="then send the email digests")

    def handle(self, *args, as_of=None, digest=False, **options) -> None:
        day = None
        if as_of:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError as exc:
                raise CommandError(f"--as-of: not a date: {as_of!r}") from exc
        result = run_alerts(as_of=day)
        for r in result.rules:
            state = "on" if r.enabled else "off"
            self.stdout.write(
                f"  {r.rule:<24} {state:<3} causes={r.causes} opened={r.opened}"
                f" reopened={r.reopened} closed={r.closed} {r.seconds:.1f}s"
            )
        self.stdout.write(self.style.SUCCESS(f"alerts reconciled at {result.now:%Y-%m-%d %H:%M}"))
        if digest:
            d = send_digests()
            self.stdout.write(f"digests sent: {d.sent}")
