"""Writes of the scoring app: standards, maturity classes, credit inputs.

Scores themselves are written only by `recompute.py`.
"""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from . import bulkwrite
from .choices import Maturity, PaymentMethod
from .models import ClassificationStandard, CreditProfile, CustomerMaturity, ScoreChange
from .standards import default_config, validate_config

REVIEW_AFTER_DAYS = 182  # standards are reviewed every half year (seed 000 key point 2)
LOCKED = [CustomerMaturity._meta.db_table]


def _require_configurer(user: User) -> None:
    if not (user.is_superuser or user.sees_everything):
        raise PermissionDenied


def _require_visible(user: User, customer: Customer) -> None:
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise PermissionDenied


# --- standards ------------------------------------------------------------------


def _next_version() -> int:
    return (ClassificationStandard.objects.aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def standard_ensure_active(at: dt.datetime | None = None) -> ClassificationStandard:
    """The active standard; the seed defaults become version 1 on first use, made and
    activated `at` (default now; the demo dates it to the first night it replays)."""
    active = ClassificationStandard.objects.filter(is_active=True).first()
    if active is not None:
        return active
    now = at or timezone.now()
    made = ClassificationStandard.objects.create(
        version=_next_version(),
        name=str(_("Seed defaults")),
        config=default_config(),
        is_active=True,
        activated_at=now,
        review_due_on=timezone.localdate(now) + dt.timedelta(days=REVIEW_AFTER_DAYS),
    )
    if at is not None:  # created_at is set on insert whatever the model is given
        ClassificationStandard.objects.filter(pk=made.pk).update(created_at=at)
        made.created_at = at
    return made


@transaction.atomic
def standard_create(
    *, user: User, name: str, config: dict[str, Any], notes: str = ""
) -> ClassificationStandard:
    """A new draft version; nothing is re-tiered until it is activated."""
    _require_configurer(user)
    validate_config(config)
    return ClassificationStandard.objects.create(
        version=_next_version(), name=name, notes=notes, config=config, created_by=user
    )


@transaction.atomic
def standard_update(
    *, user: User, standard: ClassificationStandard, config: dict[str, Any], name: str = ""
) -> ClassificationStandard:
    """Edit a draft. A standard that was ever active is frozen: copy it instead."""
    _require_configurer(user)
    if standard.activated_at is not None:
        raise ValidationError(_("This standard has been used and cannot change; create a new "
                                "version from it instead."))  # fmt: skip
    validate_config(config)
    standard.config = config
    standard.name = name or standard.name
    standard.save(update_fields=["config", "name"])
    return standard


@transaction.atomic
def standard_activate(*, user: User, standard: ClassificationStandard, recompute: bool = True):
    """Make `standard` the one in force and re-tier every customer under it, in the
    same transaction: if the recompute fails, the previous standard stays active."""
    _require_configurer(user)
    validate_config(standard.config)
    ClassificationStandard.objects.filter(is_active=True).exclude(pk=standard.pk).update(
        is_active=False
    )
    standard.is_active = True
    standard.activated_at = timezone.now()
    standard.activated_by = user
    standard.review_due_on = timezone.localdate() + dt.timedelta(days=REVIEW_AFTER_DAYS)
    standard.save(update_fields=["is_active", "activated_at", "activated_by", "review_due_on"])
    if not recompute:
        return None
    from .recompute import recompute_all

    return recompute_all(trigger=f"standard v{standard.version}")


# --- maturity classes (成熟度) ----------------------------------------------------


def _move_maturity(
    *,
    customer_id: int,
    value: str,
    cause: str,
    reason: list[Any],
    user: User | None,
    note: str = "",
    promised_payment_on: dt.date | None = None,
) -> CustomerMaturity:
    if value not in Maturity.values:
        raise ValidationError({"value": [_("Unknown maturity class.")]})
    bulkwrite.lock_customer(LOCKED, customer_id)
    now = timezone.now()
    current = CustomerMaturity.objects.select_for_update().filter(customer_id=customer_id).first()
    was = current.value if current else ""
    promise_made = timezone.localdate() if promised_payment_on else None
    state, _created = CustomerMaturity.objects.update_or_create(
        customer_id=customer_id,
        defaults={
            "value": value,
            "since": now if was != value or current is None else current.since,
            "set_by": user,
            "reason": note[:300],
            "promise_made_on": promise_made,
            "promised_payment_on": promised_payment_on,
        },
    )
    if was != value:
        ScoreChange.objects.create(
            customer_id=customer_id,
            dimension="maturity",
            from_value=was,
            to_value=value,
            changed_at=now,
            as_of=timezone.localdate(),
            cause=cause,
            changed_by=user,
            reason=json.loads(json.dumps({"after": reason})),
        )
    return state


@transaction.atomic
def maturity_set(
    *,
    user: User,
    customer: Customer,
    value: str,
    reason: str,
    promised_payment_on: dt.date | None = None,
) -> CustomerMaturity:
    """A rep classifies a customer (0–7, key/ordinary 3 and 4). For class 1 without a
    date, the payment is promised within the standard's `promise_days`."""
    _require_visible(user, customer)
    if value == "1" and promised_payment_on is None:
        promised_payment_on = _default_promise()
    from guanxi.followup.recompute import followup_refresh_on_commit

    followup_refresh_on_commit(customer.pk)  # the class sets the cadence
    return _move_maturity(
        customer_id=customer.pk,
        value=value,
        cause="manual",
        reason=[("mt_manual", {"note": reason})] if reason else [],
        user=user,
        note=reason,
        promised_payment_on=promised_payment_on,
    )


def _default_promise() -> dt.date:
    from .standards import parse_standard

    days = parse_standard(standard_ensure_active()).promise_days
    return timezone.localdate() + dt.timedelta(days=days)


@transaction.atomic
def maturity_on_contract_sent(
    *, customer_id: int, user: User | None = None, note: str = ""
) -> CustomerMaturity:
    """Hook for the contracts module: a contract went out -> class 2."""
    return _move_maturity(
        customer_id=customer_id,
        value="2",
        cause="contract",
        reason=[("mt_contract_sent", {})],
        user=user,
        note=note,
    )


@transaction.atomic
def maturity_on_contract_returned(
    *,
    customer_id: int,
    user: User | None = None,
    promised_payment_on: dt.date | None = None,
    note: str = "",
) -> CustomerMaturity:
    """Hook for the contracts module: the signed contract came back unpaid -> class 1,
    payment promised by `promised_payment_on` (default: today + promise_days). If the
    date passes with no order since, the nightly run moves the customer to 6."""
    promised = promised_payment_on or _default_promise()
    return _move_maturity(
        customer_id=customer_id,
        value="1",
        cause="contract",
        reason=[("mt_contract_returned", {"date": promised.isoformat()})],
        user=user,
        note=note,
        promised_payment_on=promised,
    )


# --- credit inputs ------------------------------------------------------------------


@transaction.atomic
def credit_profile_set(
    *,
    user: User,
    customer: Customer,
    payment_method: str,
    monthly_plan: Decimal | None,
) -> CreditProfile:
    """Payment method and planned monthly sales, the inputs of the credit rating."""
    _require_visible(user, customer)
    if payment_method not in ("", *PaymentMethod.values):
        raise ValidationError({"payment_method": [_("Unknown payment method.")]})
    if monthly_plan is not None and monthly_plan < 0:
        raise ValidationError({"monthly_plan": [_("The amount cannot be negative.")]})
    profile, _created = CreditProfile.objects.update_or_create(
        customer=customer,
        defaults={
            "payment_method": payment_method,
            "monthly_plan": monthly_plan,
            "updated_by": user,
        },
    )
    from .recompute import recompute_customer

    recompute_customer(customer.pk)
    return profile
