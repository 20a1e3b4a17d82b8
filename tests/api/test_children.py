"""Contacts, interactions, orders and needs over real HTTP: CRUD through the
services, filters, locking, and the customer's visibility reaching every child."""

import datetime as dt

import pytest
from django.db.models import Max
from django.utils import timezone

from guanxi.customers.models import Contact, Customer, Interaction, Need, Order
from tests.factories import ContactFactory, InteractionFactory, NeedFactory, OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)

# resource → (model, a valid creation payload without the customer,
#              (a field to edit, a new value, another valid value))
KINDS = {
    "contacts": (Contact, {"name": "李娜", "email": "li.na@example.com"}, ("title", "总经理", "")),
    "interactions": (
        Interaction,
        {"channel": "visit", "summary": "上门拜访"},
        ("feedback", "满意", "一般"),
    ),
    "orders": (Order, {"ordered_on": "2025-03-01", "amount": "8800.50"}, ("quantity", 3, 7)),
    "needs": (Need, {"description": "需要自动化产线"}, ("status", "in_progress", "done")),
}


def child_of(kind, world, customer):
    return {
        "contacts": lambda: ContactFactory(customer=customer),
        "interactions": lambda: InteractionFactory(customer=customer),
        "orders": lambda: OrderFactory(customer=customer),
        "needs": lambda: NeedFactory(customer=customer),
    }[kind]()


@pytest.mark.parametrize("kind", KINDS)
def test_crud_round_trip(world, api_as, kind):
    model, payload, (field, value, other) = KINDS[kind]
    api = api_as(world.owner)
    created = api.post(f"{kind}/", {"customer": world.customer.pk, **payload})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["customer"] == {
        "id": world.customer.pk,
        "number": world.customer.number,
        "name": world.customer.name,
    }
    assert body["version"] == 1
    url = f"{kind}/{body['id']}/"
    assert api.get(url).json() == body
    listed = api.get(f"{kind}/?customer={world.customer.pk}").json()["results"]
    assert body["id"] in {row["id"] for row in listed}

    updated = api.patch(url, {"version": 1, field: value})
    assert updated.status_code == 200, updated.text
    assert updated.json()[field] == value and updated.json()["version"] == 2
    stale = api.patch(url, {"version": 1, field: other})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert getattr(model.objects.get(pk=body["id"]), field) == value

    assert api.delete(url).status_code == 204
    assert not model.objects.filter(pk=body["id"]).exists()
    assert api.get(url).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_update_requires_version(world, api_as, kind):
    model, _, (field, value, _other) = KINDS[kind]
    obj = child_of(kind, world, world.customer)
    r = api_as(world.owner).patch(f"{kind}/{obj.pk}/", {field: value})
    assert r.status_code == 400 and "version" in r.json()
    obj.refresh_from_db()
    assert obj.version == 1


@pytest.mark.parametrize("kind", KINDS)
def test_out_of_reach_children_are_404_and_untouched(world, api_as, kind):
    model, _, (field, value, _other) = KINDS[kind]
    theirs = child_of(kind, world, world.other_customer)
    api = api_as(world.owner)
    missing_id = model.objects.aggregate(m=Max("id"))["m"] + 100
    url, missing = f"{kind}/{theirs.pk}/", f"{kind}/{missing_id}/"
    assert api.get(url).status_code == 404
    assert api.get(url).json() == api.get(missing).json()
    assert api.patch(url, {"version": 1, field: value}).status_code == 404
    assert api.delete(url).status_code == 404
    assert model.objects.filter(pk=theirs.pk, version=1).exists()
    listed = api.get(f"{kind}/").json()["results"]
    assert theirs.pk not in {row["id"] for row in listed}


@pytest.mark.parametrize("kind", KINDS)
def test_creating_under_an_out_of_reach_customer_is_400_like_a_missing_one(world, api_as, kind):
    model, payload, _ = KINDS[kind]
    api = api_as(world.owner)
    before = model.objects.count()
    missing_id = Customer.objects.aggregate(m=Max("id"))["m"] + 100
    theirs = api.post(f"{kind}/", {"customer": world.other_customer.pk, **payload})
    missing = api.post(f"{kind}/", {"customer": missing_id, **payload})
    assert theirs.status_code == missing.status_code == 400
    assert list(theirs.json()) == list(missing.json()) == ["customer"]
    same = [m.replace(str(missing_id), "ID") for m in missing.json()["customer"]]
    assert [
        m.replace(str(world.other_customer.pk), "ID") for m in theirs.json()["customer"]
    ] == same
    assert model.objects.count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_filtering_by_an_out_of_reach_customer_is_400(world, api_as, kind):
    r = api_as(world.owner).get(f"{kind}/?customer={world.other_customer.pk}")
    assert r.status_code == 400 and "customer" in r.json()


@pytest.mark.parametrize("kind", KINDS)
def test_the_customer_of_a_child_is_fixed(world, api_as, kind):
    obj = child_of(kind, world, world.customer)
    mine_too = Customer.objects.create(number="C190001001", name="另一家", owner=world.owner)
    r = api_as(world.owner).patch(f"{kind}/{obj.pk}/", {"version": 1, "customer": mine_too.pk})
    assert r.status_code == 200
    assert r.json()["customer"]["id"] == world.customer.pk
    obj.refresh_from_db()
    assert obj.customer_id == world.customer.pk


def test_children_follow_the_visibility_of_their_customer(world, api_as):
    def listed(user):
        return {row["id"] for row in api_as(user).get("orders/").json()["results"]}

    theirs = OrderFactory(customer=world.other_customer)
    assert listed(world.owner) == {world.order.pk}
    assert listed(world.teammate) == set()
    assert listed(world.manager) == {world.order.pk}
    assert listed(world.director) == {world.order.pk, theirs.pk}
    world.customer.collaborators.add(world.teammate)
    assert listed(world.teammate) == {world.order.pk}


def test_children_of_a_soft_deleted_customer_disappear(world, api_as):
    api = api_as(world.owner)
    assert api.delete(f"customers/{world.customer.pk}/").status_code == 204
    assert api.get(f"contacts/{world.contact.pk}/").status_code == 404
    r = api.post("contacts/", {"customer": world.customer.pk, "name": "迟到的人"})
    assert r.status_code == 400 and "customer" in r.json()


# --- per-resource rules and filters -------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "ok", "email": "not-an-email"}, "email"),
        ({"name": "ok", "phone": "电话号码"}, "phone"),
        ({"name": "ok", "decision_role": "king"}, "decision_role"),
        ({"name": ""}, "name"),
        ({"name": "ok", "notes": "x" * 5001}, "notes"),
    ],
)
def test_contact_bad_input(world, api_as, payload, field):
    before = Contact.objects.count()
    r = api_as(world.owner).post("contacts/", {"customer": world.customer.pk, **payload})
    assert r.status_code == 400 and field in r.json()
    assert Contact.objects.count() == before


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"amount": "-1", "ordered_on": "2025-01-01"}, "amount"),
        ({"amount": "abc", "ordered_on": "2025-01-01"}, "amount"),
        ({"amount": "1", "ordered_on": "2025-02-30"}, "ordered_on"),
        ({"amount": "1", "ordered_on": "2025-01-01", "quantity": -2}, "quantity"),
        ({"ordered_on": "2025-01-01"}, "amount"),
    ],
)
def test_order_bad_input(world, api_as, payload, field):
    before = Order.objects.count()
    r = api_as(world.owner).post("orders/", {"customer": world.customer.pk, **payload})
    assert r.status_code == 400 and field in r.json(), r.text
    assert Order.objects.count() == before


def test_order_date_and_amount_filters(world, api_as):
    api = api_as(world.owner)
    jan = OrderFactory(customer=world.customer, ordered_on=dt.date(2025, 1, 15), amount=100)
    feb = OrderFactory(customer=world.customer, ordered_on=dt.date(2025, 2, 15), amount=5000)

    def ids(query):
        r = api.get(f"orders/?{query}")
        assert r.status_code == 200, r.text
        return {row["id"] for row in r.json()["results"]}

    assert ids("ordered_on_after=2025-01-01&ordered_on_before=2025-01-31") == {jan.pk}
    assert ids("ordered_on_after=2025-02-15&ordered_on_before=2025-02-15") == {feb.pk}
    assert ids("amount_min=1000&ordered_on_before=2025-12-31") == {feb.pk}
    bad = api.get("orders/?ordered_on_after=yesterday")
    assert bad.status_code == 400 and "ordered_on" in bad.json()


def test_orders_are_listed_latest_first_across_pages(world, api_as):
    for day in (3, 1, 2, 1, 5):
        OrderFactory(customer=world.customer, ordered_on=dt.date(2025, 6, day))
    expected = list(
        Order.objects.filter(customer=world.customer)
        .order_by("-ordered_on", "-id")
        .values_list("pk", flat=True)
    )
    seen, url = [], "orders/?page_size=2"
    while url:
        body = api_as(world.owner).get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == expected


def test_interaction_defaults_and_filters(world, api_as):
    api = api_as(world.owner)
    r = api.post(
        "interactions/",
        {"customer": world.customer.pk, "channel": "wechat", "summary": "微信沟通"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["owner"]["id"] == world.owner.pk  # logged by the caller
    assert body["occurred_at"]  # defaults to now
    old = InteractionFactory(
        customer=world.customer,
        channel="visit",
        occurred_at=timezone.make_aware(dt.datetime(2024, 5, 20, 23, 30)),
    )

    def ids(query):
        res = api.get(f"interactions/?{query}")
        assert res.status_code == 200, res.text
        return {row["id"] for row in res.json()["results"]}

    assert ids("channel=wechat") == {body["id"]}
    # Whole days in the server's time zone, both ends inclusive.
    assert ids("occurred_at_after=2024-05-20&occurred_at_before=2024-05-20") == {old.pk}
    assert ids("occurred_at_before=2024-12-31") == {old.pk}
    assert api.get("interactions/?channel=pigeon").status_code == 400
    assert api.get("interactions/?occurred_at_after=2024-13-01").status_code == 400


def test_interaction_owner_cannot_be_forged(world, api_as):
    api = api_as(world.owner)
    r = api.post(
        "interactions/",
        {
            "customer": world.customer.pk,
            "channel": "phone",
            "summary": "x",
            "owner": world.director.pk,
        },
    )
    assert r.status_code == 201
    assert Interaction.objects.get(pk=r.json()["id"]).owner == world.owner


def test_interaction_contact_must_belong_to_the_customer(world, api_as):
    api = api_as(world.owner)
    mine_too = Customer.objects.create(number="C190001002", name="另一家", owner=world.owner)
    stranger = ContactFactory(customer=mine_too)
    before = Interaction.objects.count()
    r = api.post(
        "interactions/",
        {
            "customer": world.customer.pk,
            "contact": stranger.pk,
            "channel": "phone",
            "summary": "x",
        },
    )
    assert r.status_code == 400 and "contact" in r.json()
    theirs = ContactFactory(customer=world.other_customer)
    r = api.post(
        "interactions/",
        {"customer": world.customer.pk, "contact": theirs.pk, "channel": "phone", "summary": "x"},
    )
    assert r.status_code == 400 and "contact" in r.json()
    assert Interaction.objects.count() == before
    ok = api.post(
        "interactions/",
        {
            "customer": world.customer.pk,
            "contact": world.contact.pk,
            "channel": "phone",
            "summary": "x",
        },
    )
    assert ok.status_code == 201
    assert ok.json()["contact"] == {"id": world.contact.pk, "name": world.contact.name}


def test_need_status_filter_and_priority(world, api_as):
    api = api_as(world.owner)
    r = api.post(
        "needs/",
        {
            "customer": world.customer.pk,
            "description": "紧急扩产",
            "urgency": "high",
            "importance": "high",
            "status": "in_progress",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["priority"] == "urgent_important"
    assert r.json()["owner"]["id"] == world.owner.pk
    listed = api.get("needs/?status=in_progress").json()["results"]
    assert [row["id"] for row in listed] == [r.json()["id"]]
    bad = api.get("needs/?status=someday")
    assert bad.status_code == 400 and "status" in bad.json()
