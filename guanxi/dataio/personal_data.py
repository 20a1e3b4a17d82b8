"""Personal data of contact persons (PIPL): export everything held, erase on request.

Only administrators may do either. Erasure anonymises rather than deletes: the contact
row stays (so counts, interactions and orders — the aggregates — are unchanged), its
name becomes "Erased contact #<id>" and its phone, e-mail, WeChat, preferences and notes
are emptied, in the live row *and* in every history row of it; mentions of the name in
the customer's interaction texts are replaced by the same label (live and history).
The erasure itself is one new history row whose change reason carries the given reason
and whose user is the administrator: the audit trail records who erased whom and why,
without keeping what was erased.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import Role, User
from guanxi.customers.models import Contact, Interaction

# Cleared on erasure; `title` and `decision_role` describe the position, not the person.
PERSONAL_FIELDS = ("phone", "email", "wechat", "preferences", "notes")
MENTION_FIELDS = ("summary", "feedback", "next_action")
MIN_MENTION = 2  # a one-character "name" would rewrite unrelated text


def is_privacy_admin(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.role == Role.ADMIN
    )


def _require_admin(user: User) -> None:
    if not is_privacy_admin(user):
        raise PermissionDenied


def contacts_search(user: User, query: str, limit: int = 50) -> QuerySet[Contact]:
    """Contacts matching a name, phone, e-mail or WeChat fragment (admins only).

    Includes contacts of customers in the trash: a person's rights do not depend on
    whether the company was deleted.
    """
    _require_admin(user)
    query = query.strip()[:100]
    if not query:
        return Contact.objects.none()
    match = Q()
    for name in ("name", "phone", "email", "wechat"):
        match |= Q(**{f"{name}__icontains": query})
    return Contact.objects.filter(match).select_related("customer").order_by("name", "id")[:limit]


def _mentions(contact: Contact, name: str) -> Q:
    q = Q()
    if len(name) >= MIN_MENTION:
        for f in MENTION_FIELDS:
            q |= Q(**{f"{f}__contains": name})
    return q


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def personal_data(user: User, contact: Contact) -> dict[str, Any]:
    """Everything held about the person, as JSON-able data."""
    _require_admin(user)
    fields = [f for f in Contact._meta.concrete_fields if f.name not in ("customer",)]
    mention = _mentions(contact, contact.name)
    interactions = Interaction.objects.filter(customer_id=contact.customer_id).filter(
        Q(contact=contact) | mention if mention else Q(contact=contact)
    )
    history_fields = [f.name for f in fields]
    return {
        "generated_at": timezone.now().isoformat(),
        "generated_by": user.username,
        "contact": {f.name: _plain(getattr(contact, f.attname)) for f in fields},
        "customer": {
            "id": contact.customer_id,
            "number": contact.customer.number,
            "name": contact.customer.name,
        },
        "interactions": [
            {
                "id": i.pk,
                "occurred_at": _plain(i.occurred_at),
                "channel": i.channel,
                "linked_to_contact": i.contact_id == contact.pk,
                **{f: getattr(i, f) for f in MENTION_FIELDS},
            }
            for i in interactions.order_by("occurred_at", "id")
        ],
        "history": [
            {
                "history_date": _plain(h.history_date),
                "history_type": h.history_type,
                "history_user": h.history_user.username if h.history_user else None,
                "change_reason": h.history_change_reason or "",
                **{f: _plain(getattr(h, f, None)) for f in history_fields},
            }
            for h in Contact.history.filter(id=contact.pk)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        ],
    }


def erased_label(contact_id: int) -> str:
    """The stored replacement name, in the site's language (the data outlives a session)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Erased contact #%(id)s") % {"id": contact_id}


@transaction.atomic
def contact_erase(*, user: User, contact: Contact, reason: str) -> Contact:
    """Anonymise the contact everywhere it is stored; keep the row and all aggregates."""
    _require_admin(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the erasure.")]})
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    name = contact.name
    label = erased_label(contact.pk)
    mention = _mentions(contact, name)
    if mention:
        scrub = {f: Replace(F(f), Value(name), Value(label)) for f in MENTION_FIELDS}
        live = Interaction.objects.filter(customer_id=contact.customer_id).filter(mention)
        # A version bump makes an editor holding the old text get a conflict, not a revert.
        live.update(**scrub, version=F("version") + 1)
        Interaction.history.filter(customer_id=contact.customer_id).filter(mention).update(**scrub)
    cleared = {f: "" for f in PERSONAL_FIELDS}
    Contact.history.filter(id=contact.pk).update(name=label, **cleared)
    contact.name = label
    for f, value in cleared.items():
        setattr(contact, f, value)
    contact.version += 1
    with translation.override(settings.LANGUAGE_CODE):
        contact._change_reason = f"{_('Personal data erased (PIPL)')}: {reason}"
    contact._history_user = user
    contact.save()
    return contact
