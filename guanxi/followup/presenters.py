"""Translated reason texts of call-list lines."""

import datetime as dt

from django.utils.translation import ngettext

from .choices import Reason
from .models import CallListLine
from .priority import reason_params


def line_params(line: CallListLine, day: dt.date) -> dict[str, object]:
    return reason_params(
        reason=line.reason,
        maturity=line.maturity,
        deadline=line.deadline,
        first_listed_on=line.first_listed_on,
        day=day,
    )


def reason_text(line: CallListLine, day: dt.date) -> str:
    params = line_params(line, day)
    if line.reason == Reason.OVERDUE:
        days = params["overdue_days"]
        text = (
            ngettext(
                "Follow-up overdue by %(overdue_days)s day",
                "Follow-up overdue by %(overdue_days)s days",
                days,
            )
            % params
        )
    else:
        text = str(Reason(line.reason).label)
    if params["carried_days"]:
        days = params["carried_days"]
        text += (
            " "
            + ngettext(
                "(carried over, %(carried_days)s day)",
                "(carried over, %(carried_days)s days)",
                days,
            )
            % params
        )
    return text
