"""The one visibility rule, expressed once.

A rep sees customers they own or collaborate on; a manager also sees those owned
by members of the teams they manage; a director or admin sees all. Every read
path reaches customers through `Customer.objects.visible_to(user)`, which builds
on `customer_visibility_q` below; nothing else may filter customers by user.
"""

from django.db.models import Exists, OuterRef, Q

from .models import User


def reachable_owner_ids_q(user: User) -> Q:
    """Owners whose books `user` may see (for owner pickers and reassignment)."""
    if user.sees_everything:
        return Q()
    q = Q(pk=user.pk)
    if user.is_manager:
        q |= Q(team__manager=user)
    return q


def customer_visibility_q(user: User, prefix: str = "") -> Q | None:
    """Q over customers (or over a relation `prefix` pointing at customers).

    Returns None when the user sees everything, so callers can skip the filter.
    """
    from guanxi.customers.models import CustomerCollaborator

    if user.sees_everything:
        return None
    p = f"{prefix}__" if prefix else ""
    q = Q(**{f"{p}owner": user.pk})
    if user.is_manager:
        q |= Q(**{f"{p}owner__team__manager": user.pk})
    collab = CustomerCollaborator.objects.filter(customer=OuterRef(prefix or "pk"), user=user.pk)
    return q | Q(Exists(collab))
