"""Showing a service's refusal on a form: a stale version (ConflictError) as a
"your value / current saved value" table, and ValidationErrors per field."""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.text import join_list


def _display(model_field: models.Field | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, models.QuerySet | list | tuple | set):
        return join_list(sorted(str(v) for v in value)) or "—"
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(v.pk if isinstance(v, models.Model) else v for v in value)
    if value == "":
        return None
    return value


def conflict_rows(
    form: forms.ModelForm, current: dict[str, Any], fresh: models.Model | None = None
) -> list[dict[str, Any]]:
    """Per field that differs: the user's value against the value saved meanwhile.

    `current` is ConflictError.current (plain fields); `fresh`, when given, fills in
    what the error does not carry (many-to-many fields, the owner).
    """
    model = form._meta.model
    rows = []
    for name, form_field in form.fields.items():
        if name == "version" or name not in form.cleaned_data:
            continue
        mine = form.cleaned_data[name]
        if name in current:
            saved = current[name]
        elif fresh is not None:
            saved = getattr(fresh, name)
            if hasattr(saved, "all"):
                saved = list(saved.all())
        else:
            continue
        if _comparable(mine) == _comparable(saved):
            continue
        try:
            model_field = model._meta.get_field(name)
        except Exception:
            model_field = None
        if isinstance(saved, int) and isinstance(model_field, models.ForeignKey):
            saved = model_field.related_model._default_manager.filter(pk=saved).first()
        rows.append(
            {
                "label": form_field.label,
                "mine": _display(model_field, mine),
                "saved": _display(model_field, saved),
            }
        )
    return rows


def rebind_with_version(form: forms.BaseForm, version: int) -> forms.BaseForm:
    """The same submission, now based on `version`, so the user can resubmit deliberately."""
    data = form.data.copy()
    data["version"] = str(version)
    return type(form)(data, instance=form.instance, user=form.user)


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, per field where the form has it."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
