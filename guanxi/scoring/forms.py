"""Forms of the scoring pages. The standard editors live in `forms_standard.py`."""

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Team, User
from guanxi.accounts.visibility import reachable_owner_ids_q

from . import choices
from .forms_standard import StandardConfigForm, StandardJsonForm
from .models import ClassificationStandard

__all__ = [
    "MaturityForm",
    "MigrationForm",
    "ScopeForm",
    "StandardConfigForm",
    "StandardCreateForm",
    "StandardJsonForm",
    "quarter_bounds",
]

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")


class StandardCreateForm(forms.Form):
    """A new draft, copied from an existing version (the active one by default)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    base = forms.TypedChoiceField(label=_("Start from"), coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = [
            (s.pk, f"{s} · {status_label(s)}") for s in ClassificationStandard.objects.all()
        ]
        self.fields["base"].choices = versions or [("", _("Seed defaults"))]
        self.fields["base"].required = bool(versions)
        for name, form_field in self.fields.items():
            css = "form-select" if name == "base" else "form-control"
            form_field.widget.attrs["class"] = css

    def base_standard(self) -> ClassificationStandard | None:
        pk = self.cleaned_data.get("base")
        return ClassificationStandard.objects.filter(pk=pk).first() if pk else None


def status_of(standard: ClassificationStandard) -> str:
    if standard.is_active:
        return "active"
    return "draft" if standard.activated_at is None else "retired"


STATUS_LABELS = {"active": _("Active"), "draft": _("Draft"), "retired": _("Retired")}


def status_label(standard: ClassificationStandard) -> str:
    return str(STATUS_LABELS[status_of(standard)])


# Short names for the one-click picker; the full meaning is the title.
MATURITY_SHORT = {
    "0": _("0 New"),
    "1": _("1 Paying"),
    "2": _("2 Contract sent"),
    "3k": _("Key 3 (重3)"),
    "3o": _("Ordinary 3 (普3)"),
    "4k": _("Key 4"),
    "4o": _("Ordinary 4"),
    "5": _("5 Not a KP"),
    "6": _("6 Broke a promise"),
    "7": _("7 Long-term"),
}


class MaturityForm(forms.Form):
    value = forms.ChoiceField(label=_("Maturity class"), choices=choices.Maturity.choices)
    reason = forms.CharField(label=_("Why (optional)"), max_length=300, required=False)
    promised_payment_on = forms.DateField(
        label=_("Payment promised for (class 1)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs.update({"class": "form-control form-control-sm"})
        self.fields["promised_payment_on"].widget.attrs["class"] = "form-control form-control-sm"

    def clean_promised_payment_on(self) -> dt.date | None:
        day = self.cleaned_data.get("promised_payment_on")
        if day and day < timezone.localdate():
            raise ValidationError(_("The promised payment date cannot be in the past."))
        return day


class ScopeForm(forms.Form):
    """Narrow a report to one team or one rep, within the caller's reach."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Rep"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user.sees_everything:
            teams = Team.objects.all()
        else:
            teams = Team.objects.filter(manager=user) if user.is_manager else Team.objects.none()
        self.fields["team"].queryset = teams.order_by("name")
        self.fields["owner"].queryset = User.objects.filter(reachable_owner_ids_q(user)).order_by(
            "username"
        )
        for form_field in self.fields.values():
            form_field.empty_label = _("All")
            form_field.widget.attrs["class"] = "form-select form-select-sm"

    @property
    def offered(self) -> bool:
        """Reps have only their own book: no filter to show."""
        return bool(self.user.is_manager or self.user.sees_everything)

    def scope(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v is not None}

    def params(self) -> dict[str, str]:
        return {k: str(v.pk) for k, v in self.scope().items()}


def current_quarter(today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """'2026Q3' -> (2026-07-01, 2026-10-01): first day, and first day after."""
    match = QUARTER_RE.match(quarter)
    if not match:
        raise ValueError(quarter)
    year, q = int(match.group(1)), int(match.group(2))
    start = dt.date(year, 3 * (q - 1) + 1, 1)
    end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return start, end


def recent_quarters(count: int = 8) -> list[str]:
    today = timezone.localdate()
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _i in range(count):
        out.append(f"{year}Q{q}")
        q -= 1
        if q == 0:
            year, q = year - 1, 4
    return out


class MigrationForm(forms.Form):
    dimension = forms.ChoiceField(label=_("Dimension"), required=False)
    quarter = forms.CharField(label=_("Quarter"), required=False, max_length=6)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = list(choices.Dimension.choices)
        self.initial.setdefault("dimension", "value_tier")
        self.initial.setdefault("quarter", current_quarter())
        quarters = recent_quarters()
        asked = str(self.data.get("quarter", "")).upper() if self.is_bound else ""
        if QUARTER_RE.match(asked) and asked not in quarters:
            quarters.append(asked)
        self.fields["quarter"].widget = forms.Select(
            choices=[(q, q) for q in sorted(quarters, reverse=True)]
        )
        for form_field in self.fields.values():
            form_field.widget.attrs["class"] = "form-select form-select-sm"

    def clean_quarter(self) -> str:
        value = (self.cleaned_data.get("quarter") or "").upper() or current_quarter()
        try:
            quarter_bounds(value)
        except ValueError:
            raise ValidationError(_("Write the quarter like 2026Q3.")) from None
        return value

    def clean_dimension(self) -> str:
        return self.cleaned_data.get("dimension") or "value_tier"

    def values(self) -> tuple[str, str]:
        """(dimension, quarter), the defaults where the input is missing or wrong."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["dimension"], self.cleaned_data["quarter"]
        return "value_tier", current_quarter()
