"""Forms of the follow-up pages: the calling-mode outcome, cadence rules, the
working calendar of a year and a rep's call capacity. Domain checks stay in
`services.py` (validate_rule, calendar_set_year, rep_capacity_set); the forms
only parse input and show the services' field messages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.customers import selectors as customer_selectors
from guanxi.customers.forms import BootstrapMixin
from guanxi.customers.models import Customer, Interaction
from guanxi.scoring.choices import AbcClass, FourClass, Maturity, ValueTier

from . import choices
from .cadence import SEGMENTS
from .models import CadenceRule

OUTCOMES = [
    ("reached", _("Reached")),  # 已接通
    ("no_answer", _("No answer")),  # 无人接听
    ("call_back", _("Asked to call back")),  # 约定回电
    ("wrong_number", _("Wrong number")),  # 号码错误
]


class CallOutcomeForm(BootstrapMixin, forms.ModelForm):
    """The short form of calling mode. A call that did not reach anyone needs no
    summary: the outcome is the summary. The maturity class is optional (blank =
    unchanged) and set through scoring.services.maturity_set like the customer page."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=OUTCOMES, initial="reached", widget=forms.RadioSelect
    )
    maturity = forms.ChoiceField(
        label=_("Maturity class"),
        required=False,
        choices=[("", _("Unchanged")), *Maturity.choices],
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Interaction
        fields = ["channel", "contact", "summary", "next_action", "next_action_due"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "next_action_due": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, user: User, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # only this customer's contacts, read through the visibility rule
        self.fields["contact"].queryset = customer_selectors.visible_contacts(user).filter(
            customer=customer
        )
        self.fields["contact"].empty_label = _("— no specific contact —")
        self.fields["summary"].required = False
        self.fields["summary"].widget.attrs.update(
            {"autocomplete": "off", "placeholder": _("What was said, in a sentence")}
        )
        if not self.is_bound:
            self.initial.setdefault("channel", "phone")
        self._style_widgets()
        for name in ("outcome", "maturity"):  # radios are drawn as toggle buttons
            self.fields[name].widget.attrs["class"] = "btn-check"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        summary = (cleaned.get("summary") or "").strip()
        label = str(dict(OUTCOMES).get(outcome, ""))
        if outcome == "reached" and not summary:
            self.add_error("summary", _("Say in a sentence what was discussed."))
        elif outcome and outcome != "reached":
            # "No answer" alone is a complete record; a note is appended to it
            cleaned["summary"] = f"{label}: {summary}" if summary else label
        due = cleaned.get("next_action_due")
        if due and due < timezone.localdate():
            self.add_error("next_action_due", _("The next action cannot be due in the past."))
        if due and not cleaned.get("next_action"):
            self.add_error("next_action", _("Say what the next action is."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("outcome", "maturity")}
        data["content_type"] = "value"
        return data


class CadenceRuleForm(BootstrapMixin, forms.ModelForm):
    """Scope fields are plain choices plus blank ("any"); cycles are plain integers so
    that zero or negative values reach `services.validate_rule` and get its message."""

    maturity = forms.ChoiceField(label=_("Maturity class"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    cycle_min = forms.IntegerField(label=_("Cycle from"))
    cycle_max = forms.IntegerField(label=_("Cycle to"))

    class Meta:
        model = CadenceRule
        fields = [
            "maturity",
            "segment",
            "age_band",
            "touch",
            "cycle_min",
            "cycle_max",
            "unit",
            "is_active",
            "note",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["maturity"].choices = [("", _("Any class")), *Maturity.choices]
        self.fields["segment"].choices = [("", _("Any segment")), *segment_choices()]
        self.fields["age_band"].required = False
        self.fields["age_band"].choices = choices.AgeBand.choices
        self._style_widgets()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["age_band"] = data.get("age_band") or ""
        return data

    def _post_clean(self) -> None:
        # model validation (constraints) is the service's job: it answers with
        # field messages instead of a database error
        pass


def segment_choices() -> list[tuple[str, str]]:
    groups = (("value", ValueTier), ("four", FourClass), ("abc", AbcClass))
    out = []
    for prefix, cls in groups:
        for value, label in cls.choices:
            code = f"{prefix}:{value}"
            if code in SEGMENTS:
                out.append((code, f"{SEGMENT_PREFIX_LABELS[prefix]}: {label}"))
    return out


SEGMENT_PREFIX_LABELS = {
    "value": _("Value tier"),
    "four": _("Customer class"),
    "abc": _("ABC class"),
}

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateListField(forms.CharField):
    """Dates as YYYY-MM-DD, separated by spaces, commas or new lines; ranges
    `2026-10-01..2026-10-08` expand to every day."""

    widget = forms.Textarea(attrs={"rows": 6})

    def to_python(self, value: Any) -> list[dt.date]:
        text = super().to_python(value) or ""
        days: set[dt.date] = set()
        for token in re.split(r"[\s,;，；]+", text.strip()):
            if not token:
                continue
            try:
                if ".." in token:
                    start, end = (dt.date.fromisoformat(t) for t in token.split("..", 1))
                    if end < start or (end - start).days > 60:
                        raise ValueError
                    days.update(start + dt.timedelta(n) for n in range((end - start).days + 1))
                else:
                    days.add(dt.date.fromisoformat(token))
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a date (YYYY-MM-DD) or a range (start..end)."),
                    params={"value": token[:40]},
                ) from None
        return sorted(days)


class CalendarYearForm(forms.Form):
    holidays = DateListField(label=_("Public holidays"), required=False)
    makeup_days = DateListField(label=_("Make-up working days (调休上班)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs.update({"class": "form-control font-monospace", "rows": 8})
            f.help_text = _("One date per line (YYYY-MM-DD), or a range start..end.")

    @staticmethod
    def initial_for(holidays: list[dt.date], makeup: list[dt.date]) -> dict[str, str]:
        return {
            "holidays": "\n".join(d.isoformat() for d in holidays),
            "makeup_days": "\n".join(d.isoformat() for d in makeup),
        }


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Calls per day"), min_value=0, max_value=500)
    am_golden = forms.IntegerField(label=_("Morning golden hours"), min_value=0, max_value=500)
    pm_golden = forms.IntegerField(label=_("Afternoon golden hours"), min_value=0, max_value=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs.update({"class": "form-control form-control-sm", "inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cap, am, pm = (cleaned.get(k) for k in ("capacity", "am_golden", "pm_golden"))
        if None not in (cap, am, pm) and cap and am + pm > cap:
            self.add_error(
                "pm_golden",
                _("The golden-hour calls exceed the calls per day (%(cap)s).") % {"cap": cap},
            )
        return cleaned
