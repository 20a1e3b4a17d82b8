"""Forms of the manager pages: the team/rep scope, the report day, the targets.
They only parse input; reach is decided by `monitoring.monitored_reps`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Team, User

from .models import StockTarget
from .monitoring import monitored_reps


class ScopeForm(forms.Form):
    """Team and rep pickers, offered to managers (their team) and directors (all)."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    rep = forms.ModelChoiceField(label=_("Rep"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user.sees_everything:
            teams = Team.objects.all()
        elif user.is_manager:
            teams = Team.objects.filter(manager=user)
        else:
            teams = Team.objects.none()
        self.fields["team"].queryset = teams.order_by("name")
        self.fields["rep"].queryset = monitored_reps(user)
        for name in ("team", "rep"):
            self.fields[name].empty_label = _("All")
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    @property
    def offered(self) -> bool:
        """A rep monitors only themself: no picker."""
        return bool(self.user.is_manager or self.user.sees_everything)

    def scope(self) -> dict[str, Any]:
        """The valid pickers only: an invalid one is ignored, the others still apply."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            k: v for k, v in self.cleaned_data.items() if k in ("team", "rep") and v is not None
        }

    def params(self) -> dict[str, str]:
        return {k: str(v.pk) for k, v in self.scope().items()}


class ActivityForm(ScopeForm):
    """Day of the activity report (default today; not in the future)."""

    date = forms.DateField(
        label=_("Date"),
        required=False,
        # ISO whatever the language: <input type="date"> only takes yyyy-mm-dd
        widget=forms.DateInput(
            format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-sm"}
        ),
    )

    field_order = ["date", "team", "rep"]

    def clean_date(self) -> dt.date:
        day = self.cleaned_data.get("date") or timezone.localdate()
        if day > timezone.localdate():
            raise ValidationError(_("The report cannot be for a future day."))
        return day

    def day(self) -> dt.date:
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data.get("date") or timezone.localdate()
        return timezone.localdate()

    def params(self) -> dict[str, str]:
        return {**super().params(), "date": self.day().isoformat()}


class StockTargetForm(forms.ModelForm):
    class Meta:
        model = StockTarget
        fields = ["minimum", "maximum"]
        widgets = {
            "minimum": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            "maximum": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        low, high = cleaned.get("minimum"), cleaned.get("maximum")
        if low is not None and high is not None and high < low:
            raise ValidationError(_("“At most” cannot be below “at least”."))
        return cleaned


StockTargetFormSet = forms.modelformset_factory(
    StockTarget, form=StockTargetForm, extra=0, can_delete=False
)


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
]


class PlanTargetForm(forms.Form):
    """Customers to plan per weekday of the next week (seed 004: 35/25/25/20/15)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, label in WEEKDAYS:
            self.fields[f"day_{weekday}"] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=1000,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def values(self) -> dict[int, int]:
        return {weekday: self.cleaned_data[f"day_{weekday}"] for weekday, _label in WEEKDAYS}
