"""Writes on customers and what hangs off them. Views, API, commands and jobs call these."""

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.visibility import reachable_owner_ids_q
from guanxi.core.services import versioned_update

from .models import (
    Contact,
    Customer,
    CustomerCollaborator,
    Interaction,
    Need,
    Order,
    OwnershipChange,
)
from .numbering import reserve_customer_numbers

PROFILE_M2M = {"tags"}


def _refresh_derived(customer_id: int) -> None:
    """Rescore the customer, then its next follow-up date, once the write commits.

    Both are a few milliseconds of set-based SQL. `robust` keeps a failure from turning
    a saved write into an error page; the nightly and morning jobs repair what was missed.
    """
    from guanxi.followup.recompute import followup_refresh_on_commit
    from guanxi.scoring.recompute import recompute_customer

    transaction.on_commit(partial(recompute_customer, customer_id), robust=True)
    followup_refresh_on_commit(customer_id)


def assignable_owners(user: User):
    """Users whose book `user` may put a customer into."""
    return User.objects.filter(is_active=True).filter(reachable_owner_ids_q(user))


def _check_owner(user: User, owner: User) -> None:
    if not assignable_owners(user).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": [_("You cannot assign customers to this user.")]})


def _check_visible(user: User, customer: Customer) -> None:
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise PermissionDenied


@transaction.atomic
def customer_create(*, user: User, data: dict[str, Any]) -> Customer:
    data = dict(data)
    owner = data.pop("owner", None) or user
    _check_owner(user, owner)
    m2m = {k: data.pop(k) for k in list(data) if k in PROFILE_M2M}
    collaborators = data.pop("collaborators", None) or []
    (number,) = reserve_customer_numbers(timezone.localdate())
    customer = Customer(number=number, owner=owner, profile_updated_at=timezone.now(), **data)
    customer.full_clean()
    customer._change_reason = "created"
    customer.save()
    for name, value in m2m.items():
        getattr(customer, name).set(value)
    for collaborator in collaborators:
        CustomerCollaborator.objects.get_or_create(customer=customer, user=collaborator)
    OwnershipChange.objects.create(
        customer=customer, from_owner=None, to_owner=owner, changed_by=user, reason="created"
    )
    _refresh_derived(customer.pk)
    return customer


@transaction.atomic
def customer_update(
    *, user: User, customer: Customer, version: int | None, data: dict[str, Any]
) -> Customer:
    _check_visible(user, customer)
    data = dict(data)
    new_owner = data.pop("owner", None)
    if new_owner is not None and new_owner.pk != customer.owner_id:
        _check_owner(user, new_owner)
    data["profile_updated_at"] = timezone.now()
    candidate = Customer(**{**_field_values(customer), **_plain(data)})
    candidate.full_clean(exclude=["number", "owner"], validate_unique=False)
    updated = versioned_update(customer, expected_version=version, changes=data)
    if new_owner is not None and new_owner.pk != customer.owner_id:
        _reassign(updated, new_owner, by=user, reason="edited")
    _refresh_derived(customer.pk)
    return updated


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in PROFILE_M2M}


def _field_values(instance) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _reassign(customer: Customer, to_owner: User, *, by: User, reason: str) -> None:
    OwnershipChange.objects.create(
        customer=customer,
        from_owner_id=customer.owner_id,
        to_owner=to_owner,
        changed_by=by,
        reason=reason,
    )
    Customer.objects.filter(pk=customer.pk).update(owner=to_owner)


@transaction.atomic
def customers_reassign(
    *, user: User, customer_ids: Iterable[int], to_owner: User, reason: str = ""
) -> int:
    """Move customers to `to_owner` in bulk, logging every move (seed 001 §1: no hoarding)."""
    if not (user.is_manager or user.sees_everything):
        raise PermissionDenied
    _check_owner(user, to_owner)
    ids = set(customer_ids)
    scope = Customer.objects.visible_to(user).filter(pk__in=ids)
    if scope.count() != len(ids):
        # All or nothing: one customer out of reach refuses the whole batch.
        raise PermissionDenied
    rows = list(scope.exclude(owner=to_owner).values_list("pk", "owner_id"))
    OwnershipChange.objects.bulk_create(
        OwnershipChange(
            customer_id=pk, from_owner_id=old, to_owner=to_owner, changed_by=user, reason=reason
        )
        for pk, old in rows
    )
    moved = Customer.objects.filter(pk__in=[pk for pk, _ in rows]).update(
        owner=to_owner, updated_at=timezone.now()
    )
    return moved


@transaction.atomic
def customer_soft_delete(*, user: User, customer: Customer) -> None:
    _check_visible(user, customer)
    customer.mark_deleted(user)
    customer._change_reason = "deleted"
    customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


@transaction.atomic
def customer_restore(*, user: User, customer: Customer) -> Customer:
    """Bring back a soft-deleted customer with everything attached to it."""
    scope = Customer.objects.filter(pk=customer.pk).deleted()
    from guanxi.accounts.visibility import customer_visibility_q

    q = customer_visibility_q(user)
    if q is not None:
        scope = scope.filter(q)
    if not scope.exists():
        raise PermissionDenied
    customer.deleted_at = None
    customer.deleted_by = None
    customer._change_reason = "restored"
    customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    _refresh_derived(customer.pk)
    return customer


# --- things that hang off a customer ---------------------------------------


def _check_contact(obj) -> None:
    contact_id = getattr(obj, "contact_id", None)
    if (
        contact_id
        and not Contact.objects.filter(pk=contact_id, customer_id=obj.customer_id).exists()
    ):
        raise ValidationError({"contact": [_("This contact belongs to another customer.")]})


def _create_child(model, *, user: User, customer: Customer, data: dict[str, Any]):
    _check_visible(user, customer)
    obj = model(customer=customer, **data)
    obj.full_clean()
    _check_contact(obj)
    obj.save()
    _refresh_derived(customer.pk)
    return obj


def _update_child(obj, *, user: User, version: int | None, data: dict[str, Any]):
    _check_visible(user, obj.customer)
    if "customer" in data and data["customer"].pk != obj.customer_id:
        # Moving a record to another customer needs that customer in reach too.
        _check_visible(user, data["customer"])
    candidate = type(obj)(**{**_field_values(obj), **data})
    candidate.full_clean(validate_unique=False)
    _check_contact(candidate)
    updated = versioned_update(obj, expected_version=version, changes=data)
    _refresh_derived(updated.customer_id)
    return updated


def _delete_child(obj, *, user: User) -> None:
    _check_visible(user, obj.customer)
    obj.delete()
    _refresh_derived(obj.customer_id)


@transaction.atomic
def contact_create(*, user: User, customer: Customer, data: dict[str, Any]) -> Contact:
    return _create_child(Contact, user=user, customer=customer, data=data)


@transaction.atomic
def contact_update(*, user: User, contact: Contact, version: int | None, data: dict) -> Contact:
    return _update_child(contact, user=user, version=version, data=data)


@transaction.atomic
def contact_delete(*, user: User, contact: Contact) -> None:
    _delete_child(contact, user=user)


@transaction.atomic
def interaction_create(*, user: User, customer: Customer, data: dict[str, Any]) -> Interaction:
    data = {"owner": user, "occurred_at": timezone.now(), **data}
    return _create_child(Interaction, user=user, customer=customer, data=data)


@transaction.atomic
def interaction_update(
    *, user: User, interaction: Interaction, version: int | None, data: dict
) -> Interaction:
    return _update_child(interaction, user=user, version=version, data=data)


@transaction.atomic
def interaction_delete(*, user: User, interaction: Interaction) -> None:
    _delete_child(interaction, user=user)


@transaction.atomic
def order_create(*, user: User, customer: Customer, data: dict[str, Any]) -> Order:
    return _create_child(Order, user=user, customer=customer, data=data)


@transaction.atomic
def order_update(*, user: User, order: Order, version: int | None, data: dict) -> Order:
    return _update_child(order, user=user, version=version, data=data)


@transaction.atomic
def order_delete(*, user: User, order: Order) -> None:
    _delete_child(order, user=user)


@transaction.atomic
def need_create(*, user: User, customer: Customer, data: dict[str, Any]) -> Need:
    data = {"owner": user, **data}
    return _create_child(Need, user=user, customer=customer, data=data)


@transaction.atomic
def need_update(*, user: User, need: Need, version: int | None, data: dict) -> Need:
    return _update_child(need, user=user, version=version, data=data)


@transaction.atomic
def need_delete(*, user: User, need: Need) -> None:
    _delete_child(need, user=user)
