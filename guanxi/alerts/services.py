"""Writes: inbox state, preferences, rule configuration, hand-set purchase cycles."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from .models import Alert, AlertReceipt, AlertRule, NotificationPreference, PurchaseCycle, Rule
from .rules import validate_params
from .selectors import visible_alerts


def _visible_alert(user: User, alert_id: int) -> Alert:
    alert = visible_alerts(user=user).filter(pk=alert_id).first()
    if alert is None:
        raise Alert.DoesNotExist
    return alert


@transaction.atomic
def alert_mark_read(*, user: User, alert_id: int) -> Alert:
    """Idempotent: reading twice keeps the first read time."""
    alert = _visible_alert(user, alert_id)
    receipt, _created = AlertReceipt.objects.get_or_create(alert=alert, user=user)
    AlertReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=timezone.now())
    return alert


@transaction.atomic
def alert_dismiss(*, user: User, alert_id: int) -> Alert:
    """Hide the alert from this user's inbox (also marks it read); others still see it."""
    alert = _visible_alert(user, alert_id)
    receipt, _created = AlertReceipt.objects.get_or_create(alert=alert, user=user)
    now = timezone.now()
    AlertReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=now)
    AlertReceipt.objects.filter(pk=receipt.pk, dismissed_at__isnull=True).update(dismissed_at=now)
    return alert


@transaction.atomic
def preference_update(
    *, user: User, digest_enabled: bool, muted_rules: list[str]
) -> NotificationPreference:
    unknown = set(muted_rules) - set(Rule.values)
    if unknown:
        raise ValidationError(_("Unknown rule: %(key)s") % {"key": ", ".join(sorted(unknown))})
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={"digest_enabled": digest_enabled, "muted_rules": sorted(set(muted_rules))},
    )
    return pref


@transaction.atomic
def alert_rule_update(*, user: User, key: str, enabled: bool, params: dict) -> AlertRule:
    """Directors and admins configure rules; thresholds are validated and completed."""
    if not user.sees_everything:
        raise PermissionDenied
    clean = validate_params(key, params)
    rule, _created = AlertRule.objects.update_or_create(
        key=key, defaults={"enabled": enabled, "params": clean}
    )
    return rule


@transaction.atomic
def purchase_cycle_set(*, user: User, customer_id: int, days: int | None) -> None:
    """Set (or clear with None) a customer's purchase cycle by hand."""
    customer = Customer.objects.visible_to(user).filter(pk=customer_id).first()
    if customer is None:
        raise Customer.DoesNotExist
    if days is None:
        PurchaseCycle.objects.filter(customer=customer).delete()
        return
    if not 1 <= days <= 3650:
        raise ValidationError(_("The purchase cycle must be between 1 and 3650 days."))
    PurchaseCycle.objects.update_or_create(customer=customer, defaults={"days": days})
