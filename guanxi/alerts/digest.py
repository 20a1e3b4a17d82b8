"""Morning digest: each user gets one email listing the open alerts opened since their
last digest, over the customers they may see and the rules they have not muted.

Idempotent per user: the digest time is claimed with a conditional UPDATE (rows
affected = 1) before sending, so two overlapping runs send one email.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from guanxi.accounts.models import User

from .models import NotificationPreference, Status
from .selectors import visible_alerts

MAX_LINES = 50


@dataclass
class DigestResult:
    sent: int = 0
    skipped: int = 0


def _claim(user: User, now) -> NotificationPreference | None:
    """Mark the digest as sent at `now`; None if another run got there first or off."""
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.get_or_create(user=user)
        if not pref.digest_enabled:
            return None
        since = pref.last_digest_at
        done = NotificationPreference.objects.filter(pk=pref.pk, last_digest_at=since).update(
            last_digest_at=now
        )
        if done != 1:
            return None
        pref.since = since  # type: ignore[attr-defined]
        return pref


def send_digest(*, user: User, now=None) -> bool:
    """Send `user` their digest if there is anything new; True when an email went out."""
    now = now or timezone.now()
    if not user.is_active or not user.email:
        return False
    pref = _claim(user, now)
    if pref is None:
        return False
    qs = visible_alerts(user=user).filter(status=Status.OPEN, opened_at__lte=now)
    if pref.since is not None:
        qs = qs.filter(opened_at__gt=pref.since)
    qs = qs.exclude(rule__in=pref.muted_rules or [])
    total = qs.count()
    if not total:
        return False
    rows = list(qs.select_related("customer").order_by("rule", "-opened_at")[:MAX_LINES])
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = ngettext(
            "Guanxi: %(n)s new reminder or warning",
            "Guanxi: %(n)s new reminders and warnings",
            total,
        ) % {"n": total}
        body = render_to_string(
            "alerts/digest_email.txt", {"user": user, "alerts": rows, "total": total}
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def send_digests(*, now=None) -> DigestResult:
    result = DigestResult()
    for user in User.objects.filter(is_active=True).exclude(email="").order_by("pk"):
        if send_digest(user=user, now=now):
            result.sent += 1
        else:
            result.skipped += 1
    return result
