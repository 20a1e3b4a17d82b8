"""Translated reason texts of call-list lines."""

import datetime as dt

from django.utils.translation import gettext as _

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
    text = str(Reason(line.reason).label) % params
    if params["carried_days"]:
        text += " " + _("(carried over, %(carried_days)s days)") % params
    return text
