"""Forms of the customer pages. Field lists are explicit allowlists: never version,
number, deleted_*, created/updated, nor the customer a child belongs to."""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.scoring.choices import Maturity

from . import selectors, services
from .models import Contact, Customer, Interaction, Need, Order, Tag


def can_manage(user: User) -> bool:
    """Managers, directors and admins may pick owners and reassign."""
    return bool(user.is_manager or user.sees_everything)


class BootstrapMixin:
    """Give every widget the Bootstrap class it needs; mark invalid ones after validation."""

    def _style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class VersionMixin(forms.Form):
    """Edit forms carry the version the user read; services refuse a stale one."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- customers ---------------------------------------------------------------

CUSTOMER_SECTIONS = [
    (
        _("Company"),
        [
            "name",
            "external_id",
            "industry",
            "size_band",
            "annual_revenue",
            "city",
            "address",
            "website",
            "phone",
            "source",
            "stage",
            "lost_reason",
            "owner",
            "tags",
            "is_strategic",
        ],
    ),
    (
        _("Needs profile"),
        [
            "pain_points",
            "purchase_needs",
            "budget_min",
            "budget_max",
            "decision_process",
            "urgency",
            "potential_class",
        ],
    ),
    (
        _("Behaviour"),
        ["focus", "preferred_channel", "cooperation_history", "satisfaction", "contract_status"],
    ),
    (_("Verification and notes"), ["verified_by_website", "verified_by_phone", "notes"]),
]
WIDE_FIELDS = {
    "address",
    "pain_points",
    "purchase_needs",
    "decision_process",
    "cooperation_history",
    "notes",
    "tags",
    "lost_reason",
}


class CustomerForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Customer
        fields = [name for _title, names in CUSTOMER_SECTIONS for name in names]
        widgets = {
            "pain_points": _textarea(),
            "purchase_needs": _textarea(),
            "decision_process": _textarea(),
            "cooperation_history": _textarea(),
            "notes": _textarea(5),
            "tags": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["tags"].queryset = Tag.objects.all()
        self.fields["tags"].help_text = _("Hold Ctrl (⌘ on Mac) to pick several tags.")
        if can_manage(user):
            owner = self.fields["owner"]
            owner.queryset = services.assignable_owners(user).order_by("username")
            if not self.instance.pk:
                owner.initial = user.pk
        else:
            # Reps always own what they create; reassignment is a manager's job.
            del self.fields["owner"]
        self._style_widgets()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        low, high = cleaned.get("budget_min"), cleaned.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", _("The upper budget must not be below the lower one."))
        return cleaned

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in CUSTOMER_SECTIONS
        ]

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class CustomerEditForm(VersionMixin, CustomerForm):
    pass


# --- contacts, interactions, orders, needs -------------------------------------


class ContactForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "phone",
            "email",
            "wechat",
            "decision_role",
            "is_key_person",
            "preferences",
            "notes",
        ]
        widgets = {"notes": _textarea()}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self._style_widgets()

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ContactEditForm(VersionMixin, ContactForm):
    pass


class InteractionForm(BootstrapMixin, forms.ModelForm):
    # Allow a little clock skew between the browser and the server.
    FUTURE_TOLERANCE = dt.timedelta(minutes=10)
    # Optional: move the maturity class (成熟度) after the call; blank = unchanged.
    maturity = forms.ChoiceField(
        label=_("Maturity class"),
        required=False,
        choices=[("", _("— unchanged —")), *Maturity.choices],
    )

    class Meta:
        model = Interaction
        fields = [
            "channel",
            "occurred_at",
            "contact",
            "content_type",
            "summary",
            "feedback",
            "next_action",
            "next_action_due",
        ]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "next_action_due": _date_input(),
            "summary": _textarea(2),
            "feedback": _textarea(2),
        }

    def __init__(self, *args: Any, user: User, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # Only this customer's contacts, read through the visibility rule.
        self.fields["contact"].queryset = selectors.visible_contacts(user).filter(customer=customer)
        self.fields["contact"].empty_label = _("— no specific contact —")
        self.fields["occurred_at"].required = False
        if not self.is_bound:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("channel", "phone")
        self._style_widgets()

    def clean_occurred_at(self) -> dt.datetime:
        value = self.cleaned_data.get("occurred_at")
        if value and value > timezone.now() + self.FUTURE_TOLERANCE:
            raise ValidationError(_("An interaction cannot be logged in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        when = cleaned.get("occurred_at") or timezone.now()
        due = cleaned.get("next_action_due")
        if due and due < timezone.localtime(when).date():
            self.add_error(
                "next_action_due", _("The next action cannot be due before the interaction.")
            )
        if due and not cleaned.get("next_action"):
            self.add_error("next_action", _("Say what the next action is."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("maturity", None)  # not an interaction field: set through scoring
        if data.get("occurred_at") is None:
            data.pop("occurred_at", None)  # the service stamps "now"
        return data


class OrderForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Order
        fields = ["number", "ordered_on", "amount", "gross_margin", "product_line", "quantity"]
        widgets = {"ordered_on": _date_input()}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        margin = self.fields["gross_margin"]
        margin.validators += [MinValueValidator(-100), MaxValueValidator(100)]
        margin.widget.attrs.update({"min": -100, "max": 100})
        if not self.is_bound:
            self.initial.setdefault("ordered_on", timezone.localdate())
        self._style_widgets()

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NeedForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Need
        fields = [
            "description",
            "urgency",
            "importance",
            "matched_solution",
            "status",
            "owner",
            "expected_finish",
            "actual_finish",
        ]
        widgets = {
            "description": _textarea(),
            "matched_solution": _textarea(),
            "expected_finish": _date_input(),
            "actual_finish": _date_input(),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if can_manage(user):
            self.fields["owner"].queryset = services.assignable_owners(user).order_by("username")
            if not self.instance.pk:
                self.fields["owner"].initial = user.pk
        else:
            del self.fields["owner"]  # the service makes the rep responsible
        self._style_widgets()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("actual_finish") and cleaned.get("status") != "done":
            self.add_error("status", _("A need with an actual finish date must be done."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class NeedEditForm(VersionMixin, NeedForm):
    pass


# --- list page ---------------------------------------------------------------


class IdListField(forms.Field):
    """Several integer ids from checkboxes; which of them may be touched is the service's call."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Invalid selection.")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(ids) > 1000 or any(i <= 0 for i in ids):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


class BulkReassignForm(BootstrapMixin, forms.Form):
    ids = IdListField(error_messages={"required": _("Select at least one customer.")})
    to_owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_owner"].queryset = services.assignable_owners(user).order_by("username")
        self._style_widgets()


def style_filter_form(form: forms.BaseForm) -> None:
    """Bootstrap classes for the django-filter form of the list page."""
    for name, field in form.fields.items():
        widget = field.widget
        css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = css
        if name != "ordering" and getattr(field, "empty_label", None) is not None:
            field.empty_label = _("All")
        if name == "q":
            widget.input_type = "search"
            widget.attrs.update(
                {
                    "placeholder": _("Name, number or phone"),
                    "autocomplete": "off",
                    "maxlength": 100,
                }
            )
