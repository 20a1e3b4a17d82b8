"""Forms of the import pages: upload, and the editable column mapping."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.services import assignable_owners

from .import_jobs import UPLOAD_SUFFIXES
from .mapping import IGNORE, KEYS, KINDS, NOTES, ColumnMap, default_key, targets
from .models import ImportProfile

SMALL_SELECT = "form-select form-select-sm"
MAX_UPLOAD_BYTES = 500 * 1024 * 1024
ENCODINGS = [
    ("", _("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _("UTF-8 with BOM")),
    ("gb18030", _("GBK / GB18030 (Excel on Chinese Windows)")),
]
UNITS = [
    ("", _("as written")),
    ("1", _("CNY (元)")),
    ("1000", _("thousand CNY (千元)")),
    ("10000", _("10,000 CNY (万元)")),
    ("1000000", _("million CNY (百万元)")),
    ("100000000", _("100 million CNY (亿元)")),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
        help_text=_("Excel (.xlsx, .xls) or CSV; the first row holds the column names."),
    )
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=list(KINDS.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding (CSV only)"),
        choices=ENCODINGS,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(_("Upload an Excel (.xlsx, .xls) or CSV file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 500 MB."))
        return upload


class ImportMappingForm(forms.Form):
    """One target (and unit) select per column, plus the key, owner and mode."""

    key = forms.ChoiceField(label=_("Match existing records by"))
    default_owner = forms.ModelChoiceField(
        label=_("Owner when the file names none"), queryset=None, required=False
    )
    valid_only = forms.BooleanField(
        label=_("Import the valid rows and report the rest"),
        required=False,
        help_text=_("Otherwise nothing is imported while any row has an error."),
    )
    owner_rules = forms.CharField(
        label=_("Owner rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_(
            "For rows without an owner, one rule a line: COLUMN=VALUE: USER, "
            "e.g. 城市=杭州: rep_a1. The first matching rule wins."
        ),
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        max_length=100,
        required=False,
        help_text=_("Reused automatically for the next file with the same columns."),
    )

    def __init__(self, *args, user, kind: str, columns: list[ColumnMap], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.columns, self.user = kind, columns, user
        for name, css in (
            ("key", "form-select"),
            ("default_owner", "form-select"),
            ("valid_only", "form-check-input"),
            ("save_as", "form-control"),
        ):
            self.fields[name].widget.attrs["class"] = css
        self.fields["key"].choices = list(KEYS[kind])
        owners = assignable_owners(user)
        self.fields["default_owner"].queryset = owners
        self.fields["default_owner"].initial = user.pk
        self.fields["key"].initial = default_key(kind, columns)
        if "owner" not in targets(kind):
            del self.fields["owner_rules"]
        options = [(IGNORE, _("— ignore —"))]
        if kind in ("customers", "contacts"):
            options.append((NOTES, _("→ add to notes")))
        options += [(t.name, t.label) for t in targets(kind).values()]
        money = {t.name for t in targets(kind).values() if t.type == "money"}
        for col in columns:
            self.fields[f"col_{col.index}"] = forms.ChoiceField(
                label=col.header or f"#{col.index + 1}", choices=options, required=False,
                initial=col.target, widget=forms.Select(attrs={"class": SMALL_SELECT}),
            )  # fmt: skip
            self.fields[f"unit_{col.index}"] = forms.ChoiceField(
                label=_("Unit"), choices=UNITS, required=False,
                initial=str(int(col.unit)) if col.unit else "",
                widget=forms.Select(attrs={"class": SMALL_SELECT}),
            )  # fmt: skip
            self.fields[f"unit_{col.index}"].money = col.target in money

    def rows(self):
        """(column, target field, unit field) for the template."""
        for col in self.columns:
            yield col, self[f"col_{col.index}"], self[f"unit_{col.index}"]

    def mapped_columns(self) -> list[ColumnMap]:
        from decimal import Decimal

        out = []
        for col in self.columns:
            unit = self.cleaned_data.get(f"unit_{col.index}") or ""
            target = self.cleaned_data.get(f"col_{col.index}") or IGNORE
            out.append(ColumnMap(col.index, col.header, target, Decimal(unit) if unit else None))
        return out

    def clean(self):
        data = super().clean()
        from .mapping import check_mapping

        if not self.errors:
            for problem in check_mapping(self.mapped_columns(), self.kind, data.get("key", "")):
                self.add_error(None, problem)
        self.parsed_rules: list = []
        if data.get("owner_rules", "").strip():
            from .importing import users_index
            from .mapping import parse_owner_rules

            try:
                header = [c.header for c in self.columns]
                self.parsed_rules = parse_owner_rules(data["owner_rules"], header, users_index()[0])
            except ValueError as exc:
                self.add_error("owner_rules", str(exc))
        return data

    def save_profile(self, signature: str) -> ImportProfile | None:
        name = self.cleaned_data.get("save_as", "").strip()
        if not name:
            return None
        profile, _created = ImportProfile.objects.update_or_create(
            user=self.user,
            kind=self.kind,
            name=name,
            defaults={
                "signature": signature,
                "mapping": {c.header: c.to_json() for c in self.mapped_columns()},
                "options": {
                    "key": self.cleaned_data["key"],
                    "owner_rules_text": self.cleaned_data.get("owner_rules", ""),
                },
            },
        )
        return profile
