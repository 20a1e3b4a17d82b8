"""Reads. Every customer-related read starts from Customer.objects.visible_to(user)."""

from itertools import chain
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from guanxi.accounts.models import User

from .models import Contact, Customer, Interaction, Need, Order, OwnershipChange


def visible_customers(user: User) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user)


def customer_get(user: User, pk: int) -> Customer:
    """The customer, or 404 whether it is missing or out of the user's reach."""
    return get_object_or_404(visible_customers(user).select_related("owner"), pk=pk)


def deleted_customer_get(user: User, pk: int) -> Customer:
    """A soft-deleted customer the user could see if it were alive (for restore), or 404."""
    from guanxi.accounts.visibility import customer_visibility_q

    qs = Customer.objects.deleted()
    q = customer_visibility_q(user)
    return get_object_or_404(qs if q is None else qs.filter(q), pk=pk)


def _scoped(model, user: User) -> QuerySet:
    return model.objects.filter(customer__in=visible_customers(user))


def visible_contacts(user: User) -> QuerySet[Contact]:
    return _scoped(Contact, user).select_related("customer")


def visible_interactions(user: User) -> QuerySet[Interaction]:
    return _scoped(Interaction, user).select_related("customer", "contact", "owner")


def visible_orders(user: User) -> QuerySet[Order]:
    return _scoped(Order, user).select_related("customer")


def visible_needs(user: User) -> QuerySet[Need]:
    return _scoped(Need, user).select_related("customer", "owner")


def customer_audit_trail(customer: Customer, limit: int = 100) -> list[dict[str, Any]]:
    """Who changed what and when, across the customer and what hangs off it."""
    entries: list[dict[str, Any]] = []
    sources = [
        (Customer.history.filter(id=customer.pk), Customer._meta.verbose_name),
        (Contact.history.filter(customer_id=customer.pk), Contact._meta.verbose_name),
        (Interaction.history.filter(customer_id=customer.pk), Interaction._meta.verbose_name),
        (Order.history.filter(customer_id=customer.pk), Order._meta.verbose_name),
        (Need.history.filter(customer_id=customer.pk), Need._meta.verbose_name),
    ]
    for qs, label in sources:
        for record in qs.select_related("history_user").order_by("-history_date")[:limit]:
            changes = []
            if record.history_type == "~" and record.prev_record is not None:
                delta = record.diff_against(record.prev_record, excluded_fields=["version"])
                changes = [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]
            entries.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "what": label,
                    "object": str(record.instance)[:80],
                    "action": record.history_type,
                    "reason": record.history_change_reason or "",
                    "changes": changes,
                }
            )
    for move in OwnershipChange.objects.filter(customer=customer).select_related(
        "from_owner", "to_owner", "changed_by"
    )[:limit]:
        entries.append(
            {
                "when": move.changed_at,
                "who": move.changed_by,
                "what": OwnershipChange._meta.verbose_name,
                "object": "",
                "action": "owner",
                "reason": move.reason,
                "changes": [{"field": "owner", "old": move.from_owner, "new": move.to_owner}],
            }
        )
    return sorted(chain(entries), key=lambda e: e["when"], reverse=True)[:limit]
