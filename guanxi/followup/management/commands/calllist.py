"""`guanxi calllist [--date YYYY-MM-DD] [--rep USERNAME] [--no-build]`."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.followup.calllist import calllists_build, due_counts
from guanxi.followup.models import CallList, CallListLine
from guanxi.followup.presenters import reason_text
from guanxi.followup.recompute import followups_recompute


class Command(BaseCommand):
    help = "Build the daily call lists for a date (default today) and print them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="list date (default today)")
        parser.add_argument("--rep", metavar="USERNAME", help="print only this rep's list")
        parser.add_argument(
            "--no-build", action="store_true", help="print the stored lists without rebuilding"
        )

    def handle(self, *args, date=None, rep=None, no_build=False, **options) -> None:
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: not a date: {date!r}") from exc
        rep_user = None
        if rep:
            rep_user = User.objects.filter(username=rep).first()
            if rep_user is None:
                raise CommandError(f"no user named {rep!r}")
        if not no_build:
            followups_recompute(today=day)
            summary = calllists_build(day, trigger="command")
            self.stdout.write(f"{day}: {summary.lists} lists, {summary.lines} lines")
        lists = (
            CallList.objects.filter(list_date=day).select_related("rep").order_by("rep__username")
        )
        if rep_user is not None:
            lists = lists.filter(rep=rep_user)
        due = due_counts(day, [cl.rep_id for cl in lists])
        for cl in lists:
            head = f"== {cl.rep.username} {day} capacity={cl.capacity} due={due.get(cl.rep_id, 0)}"
            if cl.on_leave:
                head += " ON LEAVE: due customers flagged to the manager"
            self.stdout.write(head)
            lines = CallListLine.objects.filter(list_date=day, rep=cl.rep).select_related(
                "customer"
            )
            for line in lines.order_by("for_manager", "rank"):
                self.stdout.write(
                    f"{line.rank:>4} {line.slot:<9} {line.customer.number} "
                    f"{line.customer.name}  [{line.reason}] {reason_text(line, day)}"
                )
