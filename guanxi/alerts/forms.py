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
