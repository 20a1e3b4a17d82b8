"""Forms of the export, audit and personal-data pages."""

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .exports import CSV, XLSX


def _styled(form: forms.Form) -> None:
    for f in form.fields.values():
        widget = f.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if isinstance(widget, forms.RadioSelect):
            continue
        widget.attrs.setdefault("class", f"{css} form-control-sm" if css == "form-control" else css)


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to export"))
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(CSV, _("CSV (UTF-8, opens in Excel)")), (XLSX, _("Excel workbook (.xlsx)"))],
        initial=CSV,
    )
    language = forms.ChoiceField(
        label=_("Column headers"),
        choices=[("", _("My language")), *settings.LANGUAGES],
        required=False,
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, capfirst(str(label))) for k, label in kinds]
        _styled(self)


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    model = forms.ChoiceField(label=_("Record type"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All")), ("+", _("Created")), ("~", _("Changed")), ("-", _("Deleted"))],
    )
    user = forms.ModelChoiceField(label=_("Changed by"), required=False, queryset=None)

    def __init__(self, *args, models=(), users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All")), *models]
        self.fields["user"].queryset = users
        _styled(self)


class PersonalSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, phone, e-mail or WeChat"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (for the audit trail)"),
        max_length=300,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: request by the person of 2025-06-01, ticket 1234."),
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-control"
        self.fields["confirm"].widget.attrs["class"] = "form-check-input"
