"""What the 360° page shows, prepared from model data: the profile as labelled
sections, and the audit trail with translated field labels and readable values
instead of raw codes and ids."""

import datetime as dt
from typing import Any

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.text import join_list

from .models import Contact, Customer, Interaction, Need, Order

TRAIL_MODELS: tuple[type[models.Model], ...] = (Customer, Contact, Interaction, Order, Need)
MAX_VALUE_CHARS = 200


def _action_label(code: str) -> str:
    return {
        "+": _("created"),
        "~": _("changed"),
        "-": _("deleted"),
        "owner": _("owner changed"),
    }.get(code, code)


def _reason_label(reason: str) -> str:
    """Services record short reason codes; free text typed by a manager passes through."""
    return {
        "created": _("created"),
        "edited": _("edited"),
        "deleted": _("deleted"),
        "restored": _("restored"),
    }.get(reason, reason)


def _model_for(label: str) -> type[models.Model]:
    for model in TRAIL_MODELS:
        if str(model._meta.verbose_name) == label:
            return model
    return Customer  # ownership changes describe the customer's owner field


def _field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _display(field: models.Field | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.many_to_many and isinstance(value, list):
        key = field.related_model._meta.model_name
        ids = [row.get(key) for row in value if isinstance(row, dict)]
        ids = [getattr(i, "pk", i) for i in ids]
        names = field.related_model._default_manager.filter(pk__in=ids)
        return join_list(sorted(str(n) for n in names)) or "—"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.is_relation and isinstance(value, int):
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def describe_trail(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy of the trail with `action_label` and per change `label`, `old`, `new` as text."""
    out = []
    for entry in entries:
        label = str(entry["what"])
        model = _model_for(label) if entry["action"] != "owner" else Customer
        changes = []
        for change in entry["changes"]:
            field = _field(model, change["field"])
            changes.append(
                {
                    "label": str(field.verbose_name) if field is not None else change["field"],
                    "old": _display(field, change["old"]),
                    "new": _display(field, change["new"]),
                }
            )
        out.append(
            {
                **entry,
                "what": label,
                "is_owner_change": entry["action"] == "owner",
                "action_label": _action_label(entry["action"]),
                "reason": _reason_label(entry["reason"]),
                "changes": changes,
            }
        )
    return out


PROFILE_SECTIONS = [
    (
        gettext_lazy("Company"),
        [
            "industry",
            "size_band",
            "annual_revenue",
            "city",
            "address",
            "website",
            "phone",
            "external_id",
            "source",
            "stage",
            "lost_reason",
            "contract_status",
        ],
    ),
    (
        gettext_lazy("Needs profile"),
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
        gettext_lazy("Behaviour"),
        ["focus", "preferred_channel", "cooperation_history", "satisfaction", "is_strategic"],
    ),
    (gettext_lazy("Notes"), ["notes"]),
    (
        gettext_lazy("Record"),
        ["profile_updated_at", "created_at", "updated_at", "version"],
    ),
]


def _profile_value(customer: Customer, field: models.Field) -> tuple[str, str]:
    """(kind, text) of one profile field; kind tells the template how to render it."""
    value = getattr(customer, field.attname)
    if value is None or value == "":
        return "empty", "—"
    if field.choices:
        return "text", str(getattr(customer, f"get_{field.name}_display")())
    if isinstance(field, models.BooleanField):
        return "text", _("Yes") if value else _("No")
    if isinstance(field, models.DecimalField):
        return "text", "¥" + formats.number_format(value, 2, force_grouping=True)
    if isinstance(field, models.DateTimeField):
        return "datetime", value
    if isinstance(field, models.URLField):
        return "url", value
    if isinstance(field, models.TextField):
        return "multiline", value
    return "text", str(value)


def profile_sections(customer: Customer) -> list[dict[str, Any]]:
    """The profile fields of SPEC §2 grouped as on the form, with labels and values."""
    sections = []
    for title, names in PROFILE_SECTIONS:
        rows = []
        for name in names:
            field = Customer._meta.get_field(name)
            kind, value = _profile_value(customer, field)
            rows.append({"label": field.verbose_name, "kind": kind, "value": value})
        sections.append({"title": title, "rows": rows})
    return sections
