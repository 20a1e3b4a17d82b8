from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Rule, Status


class InboxFilterForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("Rule"), required=False, choices=[("", _("All rules")), *Rule.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(Status.OPEN, _("Open")), (Status.CLOSED, _("Closed")), ("all", _("All"))],
    )
    unread = forms.BooleanField(label=_("Unread only"), required=False)


class PreferenceForm(forms.Form):
    digest_enabled = forms.BooleanField(label=_("Morning email digest"), required=False)
    rules = forms.MultipleChoiceField(
        label=_("Rules that notify me"),
        required=False,
        choices=Rule.choices,
        widget=forms.CheckboxSelectMultiple,
    )


# Human labels of the thresholds in rules.DEFAULTS (the stored names are codes).
THRESHOLD_LABELS = {
    "lead_days": _("Remind this many days ahead"),
    "min_orders": _("Orders needed to learn a cycle"),
    "last_intervals": _("Latest order intervals averaged"),
    "days": _("Days"),
    "window_days": _("Recent window (days)"),
    "history_days": _("History window (days)"),
    "ratio_percent": _("Warn below this share of the usual frequency (%)"),
    "min_history_orders": _("Orders needed in the history window"),
    "grace_hours": _("Hours allowed to log a planned call"),
    "lookback_days": _("Look back (days)"),
}


class AlertRuleForm(forms.Form):
    """One rule's switch and thresholds; bounds come from rules.DEFAULTS so the
    field says which value is wrong before the service validates the whole set."""

    enabled = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, spec: dict[str, tuple[int, int, int]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, (default, lo, hi) in spec.items():
            self.fields[name] = forms.IntegerField(
                label=THRESHOLD_LABELS.get(name, name),
                min_value=lo,
                max_value=hi,
                initial=default,
                help_text=_("default %(default)s, from %(lo)s to %(hi)s")
                % {"default": default, "lo": lo, "hi": hi},
            )
        self.threshold_names = list(spec)

    def thresholds(self):
        return [self[name] for name in self.threshold_names]

    def params(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in self.threshold_names}


class PurchaseCycleForm(forms.Form):
    days = forms.IntegerField(
        label=_("Purchase cycle (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Leave empty to use the cycle learned from the orders."),
    )
