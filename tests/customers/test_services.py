import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guanxi.core.exceptions import ConflictError
from guanxi.customers import services
from guanxi.customers.models import Customer, OwnershipChange

pytestmark = pytest.mark.django_db


def test_customer_number_is_prefix_month_and_sequence(world):
    customer = services.customer_create(user=world.owner, data={"name": "宁波海曙五金有限公司"})
    assert customer.number.startswith("C")
    assert len(customer.number) == len("C202405001")
    nxt = services.customer_create(user=world.owner, data={"name": "宁波江北五金有限公司"})
    assert int(nxt.number[7:]) == int(customer.number[7:]) + 1
    assert OwnershipChange.objects.filter(customer=customer, to_owner=world.owner).exists()


def test_stale_version_is_refused_and_changes_nothing(world):
    c = world.customer
    services.customer_update(user=world.owner, customer=c, version=1, data={"city": "杭州"})
    with pytest.raises(ConflictError) as err:
        services.customer_update(user=world.owner, customer=c, version=1, data={"city": "宁波"})
    assert err.value.current_version == 2
    c.refresh_from_db()
    assert (c.city, c.version) == ("杭州", 2)


def test_rep_cannot_assign_to_someone_else(world):
    with pytest.raises(ValidationError):
        services.customer_create(user=world.owner, data={"name": "某公司", "owner": world.teammate})
    assert not Customer.objects.filter(name="某公司").exists()


def test_manager_bulk_reassign_keeps_history(world):
    moved = services.customers_reassign(
        user=world.manager,
        customer_ids=[world.customer.pk],
        to_owner=world.teammate,
        reason="rep left",
    )
    assert moved == 1
    world.customer.refresh_from_db()
    assert world.customer.owner == world.teammate
    log = OwnershipChange.objects.filter(customer=world.customer).first()
    assert (log.from_owner, log.to_owner, log.changed_by) == (
        world.owner,
        world.teammate,
        world.manager,
    )


def test_manager_cannot_reassign_other_team_customer(world):
    with pytest.raises(PermissionDenied):
        services.customers_reassign(
            user=world.manager,
            customer_ids=[world.customer.pk, world.other_customer.pk],
            to_owner=world.teammate,
        )
    world.customer.refresh_from_db()
    assert world.customer.owner == world.owner


def test_visibility_rule(world):
    def names(user):
        return set(Customer.objects.visible_to(user).values_list("pk", flat=True))

    mine, theirs = world.customer.pk, world.other_customer.pk
    assert names(world.owner) == {mine}
    assert names(world.teammate) == set()
    assert names(world.outsider) == {theirs}
    assert names(world.manager) == {mine}
    assert names(world.other_manager) == {theirs}
    assert names(world.director) == {mine, theirs}


def test_soft_delete_and_restore(world):
    services.customer_soft_delete(user=world.owner, customer=world.customer)
    assert not Customer.objects.visible_to(world.owner).filter(pk=world.customer.pk).exists()
    services.customer_restore(user=world.owner, customer=world.customer)
    restored = Customer.objects.visible_to(world.owner).get(pk=world.customer.pk)
    assert restored.contacts.count() == 1 and restored.orders.count() == 1
