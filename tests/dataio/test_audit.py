"""Change history: scoping by the visibility rule, filters, diffs, keyset pages; restore."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.customers import selectors, services
from guanxi.customers.models import Customer, CustomerCollaborator, Tag
from guanxi.dataio.audit import AuditFilters, audit_page, record_history
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

SECRET = "杭州青山机械制造有限公司"
OTHER = "深圳蓝海电子有限公司"


def _rename(customer: Customer, name: str, by) -> None:
    customer = Customer.objects.get(pk=customer.pk)
    customer.name = name
    customer.stage = "potential"
    customer._history_user = by
    customer._change_reason = "renamed"
    customer.save()


def _labels(user, **filters) -> list[str]:
    entries, _ = audit_page(user, AuditFilters(**filters), size=500)
    return [e.object_label for e in entries]


@pytest.mark.parametrize(
    ("persona", "sees_secret", "sees_other"),
    [
        ("owner", True, False),
        ("teammate", False, False),
        ("outsider", False, True),
        ("manager", True, False),
        ("other_manager", False, True),
        ("director", True, True),
        ("admin", True, True),
    ],
)
def test_history_is_scoped_by_the_visibility_rule(world, client, persona, sees_secret, sees_other):
    client.force_login(getattr(world, persona))
    page = client.get(reverse("dataio:audit"))
    assert page.status_code == 200
    text = page.content.decode()
    assert (SECRET in text) is sees_secret
    assert (OTHER in text) is sees_other
    # Children's rows too: the contact of the world's customer.
    assert ("王建国" in text) is sees_secret
    record = client.get(reverse("dataio:audit_record", args=["contact", world.contact.pk]))
    assert record.status_code == (200 if sees_secret else 404)


def test_collaborator_sees_the_history(world):
    assert not any(SECRET in label for label in _labels(world.teammate))
    CustomerCollaborator.objects.create(customer=world.customer, user=world.teammate)
    assert any(SECRET in label for label in _labels(world.teammate))


def test_trashed_customers_history_stays_readable_by_those_who_could_see_them(world):
    services.customer_soft_delete(user=world.owner, customer=world.customer)
    assert any(SECRET in label for label in _labels(world.owner, model="customer"))
    assert not any(SECRET in label for label in _labels(world.outsider, model="customer"))
    assert record_history(world.owner, "customer", world.customer.pk)
    assert record_history(world.outsider, "customer", world.customer.pk) == []


def test_record_page_shows_field_diffs(world, client):
    _rename(world.customer, "杭州新名字有限公司", world.owner)
    client.force_login(world.manager)
    page = client.get(reverse("dataio:audit_record", args=["customer", world.customer.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert SECRET in text and "杭州新名字有限公司" in text and "renamed" in text
    with translation.override("en"):
        entries = record_history(world.manager, "customer", world.customer.pk)
    change = entries[-1]
    assert change.action == "~" and change.who == world.owner
    fields = {c.field: (c.old, c.new) for c in change.changes}
    assert fields["Company name"] == (SECRET, "杭州新名字有限公司")
    assert fields["Funnel stage"] == ("Lead", "Potential")  # choice labels, not codes
    assert "Version" not in fields


def test_filters_model_action_user_and_dates(world):
    _rename(world.customer, "杭州新名字有限公司", world.owner)
    d = world.director
    assert {e.key for e in audit_page(d, AuditFilters(model="contact"))[0]} == {"contact"}
    changed = audit_page(d, AuditFilters(action="~"))[0]
    assert [e.object_label for e in changed] == [f"杭州新名字有限公司 ({world.customer.number})"]
    by_owner = audit_page(d, AuditFilters(actor=world.owner))[0]
    assert len(by_owner) == 1 and by_owner[0].who == world.owner
    today = timezone.localdate()
    assert audit_page(d, AuditFilters(date_from=today, date_to=today))[0]
    assert audit_page(d, AuditFilters(date_to=today - dt.timedelta(days=1)))[0] == []
    assert audit_page(d, AuditFilters(date_from=today + dt.timedelta(days=1)))[0] == []


def test_list_page_filters_through_the_form(world, client):
    _rename(world.customer, "杭州新名字有限公司", world.owner)
    client.force_login(world.owner)
    mine = client.get(reverse("dataio:audit"), {"user": world.owner.pk}).content.decode()
    assert "杭州新名字有限公司" in mine and "王建国" not in mine
    # A rep may not pick another user; the bad filter is reported, nothing leaks.
    other = client.get(reverse("dataio:audit"), {"user": world.outsider.pk})
    assert other.status_code == 400 and OTHER not in other.content.decode()


def test_keyset_pages_cover_everything_once_in_order(world):
    for i in range(7):
        ContactFactory(customer=world.customer, name=f"联系人{i}")
        CustomerFactory(owner=world.owner, name=f"客户{i}")
    everything, _ = audit_page(world.director, AuditFilters(), size=1000)
    seen, cursor = [], None
    while True:
        page, cursor = audit_page(world.director, AuditFilters(), cursor, size=4)
        seen.extend(page)
        if cursor is None:
            break
    assert [(e.key, e.history_id) for e in seen] == [(e.key, e.history_id) for e in everything]
    keys = [(e.when, e.key, e.history_id) for e in seen]
    assert len(set(keys)) == len(keys) == len(everything) > 8
    assert [e.when for e in seen] == sorted((e.when for e in seen), reverse=True)


def test_bad_cursor_and_model_are_harmless(world, client):
    client.force_login(world.owner)
    assert client.get(reverse("dataio:audit"), {"cursor": "garbage"}).status_code == 200
    bad = reverse("dataio:audit_record", args=["user", world.owner.pk])
    assert client.get(bad).status_code == 404


# --- restore of a soft-deleted customer ------------------------------------------------


def test_restore_brings_back_everything_attached(world):
    tag = Tag.objects.create(name="重点")
    world.customer.tags.set([tag])
    CustomerCollaborator.objects.create(customer=world.customer, user=world.teammate)
    owner = world.owner

    def attached():
        return (
            selectors.visible_contacts(owner).count(),
            selectors.visible_interactions(owner).count(),
            selectors.visible_orders(owner).count(),
            selectors.visible_needs(owner).count(),
            list(Customer.objects.get(pk=world.customer.pk).tags.all()),
            selectors.visible_customers(world.teammate).count(),
        )

    before = attached()
    assert before == (1, 1, 1, 1, [tag], 1)
    services.customer_soft_delete(user=owner, customer=world.customer)
    assert attached()[:4] == (0, 0, 0, 0)
    services.customer_restore(user=owner, customer=world.customer)
    assert attached() == before
    reasons = [
        h.history_change_reason
        for h in Customer.history.filter(id=world.customer.pk).order_by("history_date")
    ]
    assert reasons[-2:] == ["deleted", "restored"]


def test_list_page_diffs_cost_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    made = [CustomerFactory(owner=world.owner, name=f"客户{i}") for i in range(12)]
    for c in made:
        _rename(c, f"{c.name}（新）", world.owner)
    with django_assert_max_num_queries(12):  # not one query per changed row
        entries, _ = audit_page(world.director, AuditFilters(action="~"), size=50)
    assert len(entries) == 12
    for e in entries:
        renamed = [(c.old, c.new) for c in e.changes if str(c.new).endswith("（新）")]
        assert [f"{old}（新）" for old, _ in renamed] == [new for _, new in renamed] != []


def test_record_page_shows_tag_changes_by_name(world):
    tag = Tag.objects.create(name="重点客户")
    world.customer.tags.add(tag)
    entries = record_history(world.owner, "customer", world.customer.pk)
    tag_changes = [c for e in entries for c in e.changes if c.new == "重点客户"]
    assert tag_changes and tag_changes[0].old == ""
