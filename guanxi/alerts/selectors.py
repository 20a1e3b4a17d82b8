"""Reads: the alerts a user may see (through the one visibility rule), unread counts."""

from django.db.models import Exists, OuterRef, QuerySet

from guanxi.accounts.models import User
from guanxi.customers.models import Customer

from .models import Alert, AlertReceipt, NotificationPreference, Status


def visible_alerts(*, user: User) -> QuerySet[Alert]:
    """Alerts of the customers `user` may see: owner their own, manager the team's,
    director and admin all."""
    return Alert.objects.filter(customer__in=Customer.objects.visible_to(user))


def preference_get(*, user: User) -> NotificationPreference:
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref or NotificationPreference(user=user)


def _receipts(user: User, **flags) -> QuerySet[AlertReceipt]:
    return AlertReceipt.objects.filter(alert=OuterRef("pk"), user=user.pk, **flags)


def inbox(
    *,
    user: User,
    rule: str = "",
    status: str = Status.OPEN,
    unread: bool = False,
    dismissed: bool = False,
) -> QuerySet[Alert]:
    qs = visible_alerts(user=user).select_related("customer", "customer__owner")
    if rule:
        qs = qs.filter(rule=rule)
    if status:
        qs = qs.filter(status=status)
    qs = qs.annotate(
        is_read=Exists(_receipts(user, read_at__isnull=False)),
        is_dismissed=Exists(_receipts(user, dismissed_at__isnull=False)),
    )
    if not dismissed:
        qs = qs.filter(is_dismissed=False)
    if unread:
        qs = qs.filter(is_read=False)
    return qs.order_by("-opened_at", "-id")


def unread_count(*, user: User) -> int:
    """Open, visible, neither read nor dismissed, of rules the user has not muted."""
    if not getattr(user, "is_authenticated", False):
        return 0
    muted = preference_get(user=user).muted_rules or []
    qs = visible_alerts(user=user).filter(status=Status.OPEN).exclude(rule__in=muted)
    return qs.exclude(Exists(_receipts(user))).count()
