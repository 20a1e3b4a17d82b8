"""Personal data (PIPL): admins only; export everything held; erase = anonymise everywhere."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from guanxi.customers.models import Contact, Interaction, Order
from guanxi.dataio.personal_data import contact_erase, erased_label, personal_data
from tests.factories import ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db

ROUTES = ("personal_detail", "personal_export", "personal_erase")


@pytest.fixture
def person(world):
    """王建国 with history, personal fields, and interactions that name him."""
    c = Contact.objects.get(pk=world.contact.pk)
    c.phone, c.email, c.wechat, c.notes = "139-1234-5678", "wjg@example.cn", "wjg88", "爱喝茶"
    c.save()
    InteractionFactory(customer=world.customer, contact=c, summary="与王建国通话，确认预算")
    InteractionFactory(customer=world.customer, summary="王建国推荐了采购部同事")
    # The same name at another company is another person: never touched.
    InteractionFactory(customer=world.other_customer, summary="王建国（另一家公司）来访")
    return c


@pytest.mark.parametrize(
    "persona", ["owner", "teammate", "outsider", "manager", "other_manager", "director"]
)
def test_only_admins_reach_the_pages(world, client, person, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("dataio:personal_search"), {"q": "王"}).status_code == 404
    for name in ROUTES:
        assert client.get(reverse(f"dataio:{name}", args=[person.pk])).status_code == 404
    erase = client.post(
        reverse("dataio:personal_erase", args=[person.pk]), {"reason": "x" * 10, "confirm": "on"}
    )
    assert erase.status_code == 404
    assert Contact.objects.get(pk=person.pk).name == "王建国"
    with pytest.raises(PermissionDenied):
        contact_erase(user=getattr(world, persona), contact=person, reason="because")


def test_anonymous_is_sent_to_login(client, person):
    response = client.get(reverse("dataio:personal_search"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_admin_finds_and_exports_everything_held(world, client, person):
    client.force_login(world.admin)
    found = client.get(reverse("dataio:personal_search"), {"q": "wjg88"}).content.decode()
    assert "王建国" in found
    response = client.get(reverse("dataio:personal_export", args=[person.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["contact"]["phone"] == "139-1234-5678"
    assert data["contact"]["wechat"] == "wjg88"
    assert data["customer"]["name"] == world.customer.name
    summaries = {i["summary"]: i["linked_to_contact"] for i in data["interactions"]}
    assert summaries == {"与王建国通话，确认预算": True, "王建国推荐了采购部同事": False}
    assert [h["history_type"] for h in data["history"]] == ["+", "~"]
    assert data["history"][0]["phone"] == "138-0000-0000"


def test_erase_anonymises_everywhere_and_keeps_aggregates(world, client, person):
    orders, interactions = Order.objects.count(), Interaction.objects.count()
    client.force_login(world.admin)
    response = client.post(
        reverse("dataio:personal_erase", args=[person.pk]),
        {"reason": "本人2025-06-01书面申请删除", "confirm": "on"},
    )
    assert response.status_code == 302
    c = Contact.objects.get(pk=person.pk)
    # "已删除联系人#<id>" once the zh-Hans catalogue is compiled; the site's language either way.
    assert c.name == erased_label(c.pk) and str(c.pk) in c.name
    assert (c.phone, c.email, c.wechat, c.notes, c.preferences) == ("", "", "", "", "")
    assert c.title == "采购经理"  # the position is not personal data
    # Not in any stored version either.
    for h in Contact.history.filter(id=c.pk):
        assert (h.name, h.phone, h.email, h.wechat, h.notes) == (c.name, "", "", "", "")
    # Mentions in this customer's interactions are replaced, live and in history.
    texts = list(
        Interaction.objects.filter(customer=world.customer).values_list("summary", flat=True)
    )
    texts += list(
        Interaction.history.filter(customer_id=world.customer.pk).values_list("summary", flat=True)
    )
    assert not any("王建国" in t for t in texts)
    assert f"与{erased_label(c.pk)}通话，确认预算" in texts
    assert Interaction.objects.filter(summary__contains="王建国（另一家公司）").exists()
    # Aggregates intact: same rows, the interaction still linked to the contact.
    assert (Order.objects.count(), Interaction.objects.count()) == (orders, interactions)
    assert c.interactions.count() == 1
    # The audit trail says who erased and why, without what.
    last = Contact.history.filter(id=c.pk).order_by("-history_date").first()
    assert last.history_user == world.admin
    assert "本人2025-06-01书面申请删除" in last.history_change_reason
    assert c.version == person.version + 1


def test_erase_needs_a_reason_and_confirmation(world, client, person):
    client.force_login(world.admin)
    url = reverse("dataio:personal_erase", args=[person.pk])
    assert client.post(url, {"reason": "", "confirm": "on"}).status_code == 400
    assert client.post(url, {"reason": "书面申请删除资料"}).status_code == 400
    assert Contact.objects.get(pk=person.pk).name == "王建国"
    with pytest.raises(ValidationError):
        contact_erase(user=world.admin, contact=person, reason="   ")


def test_export_after_erasure_holds_nothing_personal(world, person):
    contact_erase(user=world.admin, contact=person, reason="申请删除")
    data = personal_data(world.admin, Contact.objects.get(pk=person.pk))
    text = json.dumps(data, ensure_ascii=False)
    assert data["history"] and data["interactions"]
    for secret in ("王建国", "139-1234-5678", "wjg@example.cn", "wjg88", "爱喝茶"):
        assert secret not in text


def test_one_character_names_do_not_rewrite_texts(world):
    short = ContactFactory(customer=world.customer, name="王")
    InteractionFactory(customer=world.customer, summary="王经理来电")
    contact_erase(user=world.admin, contact=short, reason="申请删除")
    assert Interaction.objects.filter(summary="王经理来电").exists()
