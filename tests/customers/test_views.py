"""The customer pages through the Django test client: scoping, forms, conflicts, exports."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from guanxi.customers import services
from guanxi.customers.export import safe_cell
from guanxi.customers.forms import CustomerEditForm
from guanxi.customers.models import Contact, Customer, Interaction, Need, Order, Tag
from guanxi.scoring.models import CustomerMaturity
from tests.factories import ContactFactory, CustomerFactory, CustomerScoreFactory, NeedFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(login):
    """Log in and speak English, so assertions on messages do not depend on the .po file."""

    def _as(user):
        client = login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _as


def url(name, *args):
    return reverse(f"customers:{name}", args=args)


def edit_data(form_class, instance, user, **overrides):
    """What the browser would post for an untouched edit form, plus `overrides`."""
    form = form_class(instance=instance, initial={"version": instance.version}, user=user)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    data.update(overrides)
    return data


# --- list, search, filters, sort, pagination ------------------------------------


def test_login_required(client):
    response = client.get(url("list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_rep_list_shows_only_own_customers(world, as_user):
    CustomerFactory(owner=world.teammate, name="同组同事的客户")
    response = as_user(world.owner).get(url("list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.customer.name in body
    assert world.other_customer.name not in body
    assert "同组同事的客户" not in body
    # reps neither filter by owner nor reassign
    assert 'name="owner"' not in body
    assert "bulk-form" not in body


def test_manager_list_shows_team_and_bulk_controls(world, as_user):
    body = as_user(world.manager).get(url("list")).content.decode()
    assert world.customer.name in body
    assert world.other_customer.name not in body
    assert 'name="owner"' in body
    assert 'id="bulk-form"' in body


def test_search_by_chinese_fragment(world, as_user):
    CustomerFactory(owner=world.owner, name="宁波海曙五金有限公司")
    body = as_user(world.owner).get(url("list"), {"q": "青山"}).content.decode()
    assert world.customer.name in body
    assert "宁波海曙五金有限公司" not in body


def test_search_by_number(world, as_user):
    CustomerFactory(owner=world.owner, name="宁波海曙五金有限公司")
    body = as_user(world.owner).get(url("list"), {"q": world.customer.number}).content.decode()
    assert world.customer.name in body
    assert "宁波海曙五金有限公司" not in body


def test_filter_by_stage_and_industry(world, as_user):
    CustomerFactory(owner=world.owner, name="谈判中的客户", stage="negotiation", industry="retail")
    client = as_user(world.owner)
    body = client.get(url("list"), {"stage": "negotiation"}).content.decode()
    assert "谈判中的客户" in body
    assert world.customer.name not in body
    body = client.get(url("list"), {"industry": "manufacturing"}).content.decode()
    assert "谈判中的客户" not in body
    assert world.customer.name in body


def test_filter_by_tag(world, as_user):
    tag = Tag.objects.create(name="产能扩张需求")
    tagged = CustomerFactory(owner=world.owner, name="有标签的客户")
    tagged.tags.add(tag)
    body = as_user(world.owner).get(url("list"), {"tag": tag.pk}).content.decode()
    assert "有标签的客户" in body
    assert world.customer.name not in body


def _scored(owner, name, value_tier, health, maturity=None):
    """A customer of `owner` with stored scores (and a maturity class)."""
    customer = CustomerFactory(owner=owner, name=name)
    CustomerScoreFactory(
        customer=customer, sales=Decimal("150000"), value_tier=value_tier,
        matrix=f"{value_tier}_mid", health_grade=health, health_score=42,
    )  # fmt: skip
    if maturity:
        CustomerMaturity.objects.create(customer=customer, value=maturity, since=timezone.now())
    return customer


def test_filter_by_scores_and_maturity_within_what_one_may_see(world, as_user):
    _scored(world.owner, "核心风险客户", "core", "at_risk", maturity="3k")
    _scored(world.owner, "普通健康客户", "ordinary", "healthy", maturity="2")
    _scored(world.outsider, "别组核心风险客户", "core", "at_risk", maturity="3k")
    client = as_user(world.owner)

    def names(**query):
        body = client.get(url("list"), query).content.decode()
        return {n for n in ("核心风险客户", "普通健康客户", "别组核心风险客户") if n in body}

    assert names(value_tier="core") == {"核心风险客户"}
    assert names(health="healthy") == {"普通健康客户"}
    assert names(maturity="3k") == {"核心风险客户"}
    assert names(value_tier="core", health="healthy") == set()
    page = client.get(url("list"), {"value_tier": "core"}).content.decode()
    assert "At risk · 42" in page and "tone-bad" in page  # the health column
    assert "Core, stable" in page  # value × potential
    partial = client.get(url("list"), {"health": "at_risk"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()  # what the filter bar swaps in
    assert "At risk · 42" in partial.content.decode()
    bad = client.get(url("list"), {"value_tier": "gold"})
    assert bad.status_code == 400 and "Value tier" in bad.content.decode()


def test_list_page_costs_the_same_queries_however_many_rows(
    world, as_user, django_assert_max_num_queries
):
    for i in range(30):
        customer = _scored(world.owner, f"客户{i}", "core", "healthy")
        customer.tags.add(Tag.objects.get_or_create(name="老客户")[0])
    client = as_user(world.owner)
    client.get(url("list"))  # session and permission caches warm
    with django_assert_max_num_queries(8):  # not one query per row (is_strategic, scores)
        page = client.get(url("list")).content.decode()
    assert page.count("tone-good") >= 30


def test_unknown_sort_gives_clear_error_and_default_order(world, as_user):
    response = as_user(world.owner).get(url("list"), {"ordering": "password; DROP TABLE"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Unknown sort order" in body
    assert world.customer.name in body  # the list still shows, newest first


def test_known_sorts_all_paginate(world, as_user):
    client = as_user(world.owner)
    for value in ("name", "-name", "number", "-number", "updated_at", "-updated_at", "id"):
        assert client.get(url("list"), {"ordering": value}).status_code == 200


def test_foreign_owner_filter_is_refused(world, as_user):
    response = as_user(world.owner).get(url("list"), {"owner": world.outsider.pk})
    assert response.status_code == 400
    assert world.other_customer.name not in response.content.decode()


def test_htmx_request_gets_only_the_table_partial(world, as_user):
    response = as_user(world.owner).get(url("list"), {"q": "青山"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="results"' in body
    assert "<html" not in body
    assert world.customer.name in body


def test_keyset_pagination_next_and_first(world, as_user):
    for i in range(55):
        CustomerFactory(owner=world.owner, name=f"分页客户{i:02d}")
    client = as_user(world.owner)
    body = client.get(url("list"), {"ordering": "name"}).content.decode()
    assert "Next page" in body
    assert "First page" not in body
    cursor = re.search(r'cursor=([^"&]+)', body).group(1)
    page2 = client.get(url("list") + f"?ordering=name&cursor={cursor}").content.decode()
    assert "First page" in page2
    first_names = set(re.findall(r"分页客户\d\d", body))
    second_names = set(re.findall(r"分页客户\d\d", page2))
    assert first_names and second_names and not first_names & second_names


def test_forged_cursor_falls_back_to_first_page(world, as_user):
    response = as_user(world.owner).get(url("list"), {"cursor": "not-a-signed-cursor"})
    assert response.status_code == 200
    assert world.customer.name in response.content.decode()


# --- create / edit ------------------------------------------------------------


def test_create_assigns_number_and_owner(world, as_user):
    response = as_user(world.owner).post(
        url("create"),
        {
            "name": "宁波海曙五金有限公司",
            "industry": "manufacturing",
            "source": "exhibition",
            "stage": "lead",
            "contract_status": "none",
            "phone": "+86 574 8888 0000",
            "owner": world.teammate.pk,  # not a field for reps: ignored
        },
    )
    customer = Customer.objects.get(name="宁波海曙五金有限公司")
    assert response.status_code == 302
    assert response["Location"] == url("detail", customer.pk)
    assert re.fullmatch(r"C\d{6}\d{3,}", customer.number)
    assert customer.owner == world.owner


def test_manager_creates_for_team_member_only(world, as_user):
    client = as_user(world.manager)
    base = {"name": "给组员的客户", "source": "other", "stage": "lead", "contract_status": "none"}
    response = client.post(url("create"), {**base, "owner": world.teammate.pk})
    assert response.status_code == 302
    assert Customer.objects.get(name="给组员的客户").owner == world.teammate
    response = client.post(url("create"), {**base, "name": "越权", "owner": world.outsider.pk})
    assert response.status_code == 200
    assert not Customer.objects.filter(name="越权").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "call me maybe"),
        ("website", "javascript:alert(1)"),
        ("annual_revenue", "-5"),
        ("budget_min", "-1"),
        ("satisfaction", "9"),
        ("notes", "长" * 20001),
    ],
    ids=["phone", "website", "revenue", "budget", "satisfaction", "long-notes"],
)
def test_create_rejects_bad_input_and_saves_nothing(world, as_user, field, value):
    before = Customer.objects.count()
    data = {"name": "坏数据公司", "source": "other", "stage": "lead", "contract_status": "none"}
    response = as_user(world.owner).post(url("create"), {**data, field: value})
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert Customer.objects.count() == before


def test_budget_range_must_be_ordered(world, as_user):
    data = {
        "name": "预算颠倒",
        "source": "other",
        "stage": "lead",
        "contract_status": "none",
        "budget_min": "5000",
        "budget_max": "100",
    }
    response = as_user(world.owner).post(url("create"), data)
    assert "upper budget" in response.content.decode()
    assert not Customer.objects.filter(name="预算颠倒").exists()


def test_ten_megabyte_post_is_refused(world, as_user):
    data = {"name": "巨大", "source": "other", "stage": "lead", "notes": "x" * 10_000_000}
    response = as_user(world.owner).post(url("create"), data)
    assert response.status_code in (200, 400, 413)
    assert not Customer.objects.filter(name="巨大").exists()


def test_edit_saves_and_bumps_version(world, as_user):
    c = world.customer
    data = edit_data(CustomerEditForm, c, world.owner, city="杭州")
    response = as_user(world.owner).post(url("edit", c.pk), data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.city, c.version) == ("杭州", 2)


def test_edit_conflict_shows_both_values_and_changes_nothing(world, as_user):
    c = world.customer
    client = as_user(world.owner)
    stale = edit_data(CustomerEditForm, c, world.owner, city="宁波")
    # Someone else saves first.
    services.customer_update(user=world.manager, customer=c, version=1, data={"city": "杭州"})
    response = client.post(url("edit", c.pk), stale)
    body = response.content.decode()
    assert response.status_code == 409
    assert "Your value" in body and "Current saved value" in body
    row = re.search(r"<tr>\s*<th scope=\"row\">City</th>(.*?)</tr>", body, re.S).group(1)
    assert "宁波" in row and "杭州" in row
    assert 'name="version" value="2"' in body
    c.refresh_from_db()
    assert (c.city, c.version) == ("杭州", 2)
    # Resubmitting deliberately, now based on version 2, wins.
    stale["version"] = "2"
    assert client.post(url("edit", c.pk), stale).status_code == 302
    c.refresh_from_db()
    assert (c.city, c.version) == ("宁波", 3)


def test_manager_edit_reassigns_owner_with_history(world, as_user):
    c = world.customer
    data = edit_data(CustomerEditForm, c, world.manager, owner=str(world.teammate.pk))
    assert as_user(world.manager).post(url("edit", c.pk), data).status_code == 302
    c.refresh_from_db()
    assert c.owner == world.teammate
    assert c.ownership_log.filter(from_owner=world.owner, to_owner=world.teammate).exists()


def test_edit_form_never_exposes_internal_fields(world, as_user):
    body = as_user(world.owner).get(url("edit", world.customer.pk)).content.decode()
    for name in ("number", "deleted_at", "deleted_by", "created_at", "updated_at"):
        assert f'name="{name}"' not in body
    assert 'name="version"' in body and 'type="hidden"' in body


# --- 360° page and what hangs off it ---------------------------------------------


def test_detail_shows_all_sections(world, as_user):
    body = as_user(world.owner).get(url("detail", world.customer.pk)).content.decode()
    for text in (world.customer.name, world.customer.number, "王建国", "KP", "电话沟通需求"):
        assert text in body
    for tab in ('id="profile"', 'id="contacts"', 'id="timeline"', 'id="orders"', 'id="needs"'):
        assert tab in body
    assert 'id="history"' in body
    assert "12,000.00" in body  # order total


def test_stale_profile_is_flagged(world, as_user):
    body = as_user(world.owner).get(url("detail", world.customer.pk)).content.decode()
    assert "Profile never reviewed" in body
    fresh = services.customer_create(user=world.owner, data={"name": "新客户"})
    body = as_user(world.owner).get(url("detail", fresh.pk)).content.decode()
    assert "not updated for over a month" not in body and "never reviewed" not in body


def test_html_in_user_text_is_escaped(world, as_user):
    c = world.customer
    Customer.objects.filter(pk=c.pk).update(notes="<script>alert('x')</script>")
    ContactFactory(customer=c, name="<img src=x onerror=alert(1)>")
    client = as_user(world.owner)
    client.post(
        url("interaction_create", c.pk),
        {"channel": "phone", "content_type": "value", "summary": "<b onclick=evil()>hi</b>"},
    )
    body = client.get(url("detail", c.pk)).content.decode()
    assert "<script>alert('x')</script>" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "<img src=x" not in body
    assert "<b onclick" not in body and "&lt;b onclick=evil()&gt;" in body


def test_interaction_log_appears_in_timeline(world, as_user):
    c = world.customer
    client = as_user(world.owner)
    data = {
        "channel": "wechat",
        "content_type": "service",
        "contact": world.contact.pk,
        "summary": "微信确认了交货时间",
        "feedback": "希望提前一周",
        "next_action": "发送排产计划",
        "next_action_due": "2099-01-01",
    }
    response = client.post(url("interaction_create", c.pk), data)
    assert response.status_code == 302
    assert response["Location"].endswith("#timeline")
    logged = Interaction.objects.get(summary="微信确认了交货时间")
    assert (logged.owner, logged.contact, logged.customer) == (world.owner, world.contact, c)
    body = client.get(url("detail", c.pk)).content.decode()
    assert "微信确认了交货时间" in body and "发送排产计划" in body
    assert body.index("微信确认了交货时间") < body.index("电话沟通需求")  # newest first


def test_interaction_log_with_htmx_returns_timeline_partial(world, as_user):
    c = world.customer
    response = as_user(world.owner).post(
        url("interaction_create", c.pk),
        {"channel": "visit", "content_type": "emotional", "summary": "上门拜访"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="timeline-panel"' in body and "<html" not in body
    assert "上门拜访" in body and "Interaction logged." in body


def test_invalid_interaction_with_htmx_shows_errors_in_partial(world, as_user):
    response = as_user(world.owner).post(
        url("interaction_create", world.customer.pk),
        {"channel": "fax", "summary": ""},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Nothing was saved" in body
    assert Interaction.objects.filter(customer=world.customer).count() == 1


def test_interaction_rejects_foreign_contact_and_bad_dates(world, as_user):
    foreign = ContactFactory(customer=world.other_customer)
    client = as_user(world.owner)
    before = Interaction.objects.count()
    bad = [
        {"contact": foreign.pk},
        {"occurred_at": "2999-01-01T10:00"},
        {"next_action": "回访", "next_action_due": "2000-01-01"},
        {"summary": ""},
    ]
    for extra in bad:
        data = {"channel": "phone", "content_type": "value", "summary": "正常", **extra}
        response = client.post(url("interaction_create", world.customer.pk), data)
        assert response.status_code == 200, extra
    assert Interaction.objects.count() == before


def test_contact_create_and_edit(world, as_user):
    client = as_user(world.owner)
    response = client.post(
        url("contact_create", world.customer.pk),
        {
            "name": "李采购",
            "phone": "138 0000 1111",
            "email": "li@example.cn",
            "is_key_person": "on",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(name="李采购")
    assert contact.customer == world.customer and contact.is_key_person
    data = {"name": "李采购", "title": "采购总监", "version": contact.version}
    assert client.post(url("contact_edit", contact.pk), data).status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("采购总监", 2)


def test_contact_edit_conflict_and_bad_input(world, as_user):
    contact = world.contact
    client = as_user(world.owner)
    services.contact_update(user=world.owner, contact=contact, version=1, data={"title": "总经理"})
    response = client.post(
        url("contact_edit", contact.pk), {"name": "王建国", "title": "厂长", "version": 1}
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "厂长" in body and "总经理" in body
    response = client.post(
        url("contact_edit", contact.pk),
        {"name": "王建国", "email": "not-an-email", "phone": "abc", "version": 2},
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.title, contact.email, contact.version) == ("总经理", "", 2)


def test_order_create_and_negative_amount(world, as_user):
    client = as_user(world.owner)
    before = Order.objects.count()
    response = client.post(
        url("order_create", world.customer.pk), {"ordered_on": "2024-05-01", "amount": "-1"}
    )
    assert response.status_code == 200
    assert Order.objects.count() == before
    response = client.post(
        url("order_create", world.customer.pk),
        {"ordered_on": "2024-05-01", "amount": "3500.50", "quantity": "2"},
    )
    assert response.status_code == 302
    assert Order.objects.filter(customer=world.customer, amount=Decimal("3500.50")).exists()


def test_need_create_edit_and_quadrant(world, as_user):
    client = as_user(world.owner)
    response = client.post(
        url("need_create", world.customer.pk),
        {
            "description": "紧急扩产",
            "urgency": "high",
            "importance": "high",
            "status": "in_progress",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get(description="紧急扩产")
    assert need.owner == world.owner and need.priority == "urgent_important"
    data = {
        "description": "紧急扩产",
        "urgency": "high",
        "importance": "low",
        "status": "in_progress",
        "version": 1,
    }
    assert client.post(url("need_edit", need.pk), data).status_code == 302
    need.refresh_from_db()
    assert need.priority == "urgent"
    assert client.post(url("need_edit", need.pk), data).status_code == 409  # stale again


def test_history_tab_shows_changes_and_owner_moves(world, as_user):
    c = world.customer
    tag = Tag.objects.create(name="决策周期长")
    services.customer_update(
        user=world.owner, customer=c, version=1, data={"city": "温州", "tags": [tag]}
    )
    services.customers_reassign(
        user=world.manager, customer_ids=[c.pk], to_owner=world.teammate, reason="调岗"
    )
    body = as_user(world.manager).get(url("detail", c.pk)).content.decode()
    assert "温州" in body and "调岗" in body and "owner changed" in body
    assert "决策周期长" in body.split('id="history"')[1]


# --- scoping: another rep's customer is a 404 everywhere -------------------------


def _foreign_urls(world):
    other = world.other_customer
    contact = ContactFactory(customer=other)
    need = NeedFactory(customer=other)
    gets = [
        url("detail", other.pk),
        url("edit", other.pk),
        url("contact_create", other.pk),
        url("order_create", other.pk),
        url("need_create", other.pk),
        url("contact_edit", contact.pk),
        url("need_edit", need.pk),
    ]
    posts = [
        url("delete", other.pk),
        url("restore", other.pk),
        url("interaction_create", other.pk),
        url("edit", other.pk),
        url("contact_edit", contact.pk),
        url("need_edit", need.pk),
    ]
    return gets, posts


def test_other_reps_customer_is_404_everywhere(world, as_user):
    gets, posts = _foreign_urls(world)
    client = as_user(world.owner)
    for path in gets:
        assert client.get(path).status_code == 404, path
    for path in posts:
        assert client.post(path, {"name": "x", "version": 1}).status_code == 404, path
    missing = url("detail", 999_999)
    assert client.get(missing).status_code == 404
    world.other_customer.refresh_from_db()
    assert world.other_customer.deleted_at is None


def test_teammate_cannot_see_colleagues_customer(world, as_user):
    assert as_user(world.teammate).get(url("detail", world.customer.pk)).status_code == 404


def test_post_only_actions_reject_get(world, as_user):
    client = as_user(world.owner)
    for path in (
        url("delete", world.customer.pk),
        url("restore", world.customer.pk),
        url("interaction_create", world.customer.pk),
        url("reassign"),
    ):
        assert client.get(path).status_code == 405, path


# --- bulk reassign ---------------------------------------------------------------


def test_manager_bulk_reassign(world, as_user):
    second = CustomerFactory(owner=world.owner)
    response = as_user(world.manager).post(
        url("reassign"),
        {"ids": [world.customer.pk, second.pk], "to_owner": world.teammate.pk, "reason": "离职"},
        follow=True,
    )
    assert "2 of 2 selected customers reassigned" in response.content.decode()
    assert set(Customer.objects.filter(owner=world.teammate)) == {world.customer, second}


def test_manager_bulk_reassign_out_of_reach_changes_nothing(world, as_user):
    response = as_user(world.manager).post(
        url("reassign"),
        {"ids": [world.customer.pk, world.other_customer.pk], "to_owner": world.teammate.pk},
        follow=True,
    )
    assert "nothing was reassigned" in response.content.decode()
    world.customer.refresh_from_db()
    assert world.customer.owner == world.owner


def test_rep_cannot_bulk_reassign(world, as_user):
    response = as_user(world.owner).post(
        url("reassign"), {"ids": [world.customer.pk], "to_owner": world.teammate.pk}
    )
    assert response.status_code == 403
    world.customer.refresh_from_db()
    assert world.customer.owner == world.owner


# --- export ----------------------------------------------------------------------


def _csv(response):
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert raw.startswith("\ufeff")
    return list(csv.reader(io.StringIO(raw[1:])))


def test_export_contains_only_visible_rows_and_neutralises_formulas(world, as_user):
    CustomerFactory(owner=world.owner, name="=cmd|' /C calc'!A0", city="+SUM(A1)")
    CustomerFactory(owner=world.teammate, name="同事的客户")
    response = as_user(world.owner).get(url("export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:2] == ["Customer number", "Company name"]
    names = {row[1] for row in rows[1:]}
    assert names == {world.customer.name, "'=cmd|' /C calc'!A0"}
    assert any(row[6] == "'+SUM(A1)" for row in rows[1:])


def test_export_carries_the_scores_and_follows_the_score_filters(world, as_user):
    _scored(world.owner, "核心风险客户", "core", "at_risk", maturity="3k")
    rows = _csv(as_user(world.owner).get(url("export"), {"health": "at_risk"}))
    header, *body = rows
    assert [row[1] for row in body] == ["核心风险客户"]
    cell = dict(zip(header, body[0], strict=False))
    assert cell["Value × potential"] == "Core, stable"
    assert cell["Health grade"] == "At risk" and cell["Health score"] == "42"
    assert cell["Maturity class"] == "Key 3 — KP with clear intent"
    unscored = dict(zip(header, _csv(as_user(world.owner).get(url("export")))[-1], strict=False))
    assert unscored["Value × potential"] == "" and unscored["Health score"] == ""


def test_export_follows_filters(world, as_user):
    CustomerFactory(owner=world.owner, name="宁波海曙五金有限公司")
    rows = _csv(as_user(world.owner).get(url("export"), {"q": "宁波"}))
    assert [row[1] for row in rows[1:]] == ["宁波海曙五金有限公司"]


def test_safe_cell():
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("杭州") == "杭州" and safe_cell(None) == ""


# --- trash and restore ------------------------------------------------------------


def test_delete_trash_restore(world, as_user):
    c = world.customer
    client = as_user(world.owner)
    assert client.post(url("delete", c.pk)).status_code == 302
    assert client.get(url("detail", c.pk)).status_code == 404
    assert c.name in client.get(url("trash")).content.decode()
    # Someone who could not see it alive does not see it dead either.
    outsider = as_user(world.outsider)
    assert c.name not in outsider.get(url("trash")).content.decode()
    assert outsider.post(url("restore", c.pk)).status_code == 404
    client = as_user(world.owner)
    response = client.post(url("restore", c.pk))
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.deleted_at is None
    assert client.get(url("detail", c.pk)).status_code == 200


def test_restore_of_alive_customer_is_404(world, as_user):
    assert as_user(world.owner).post(url("restore", world.customer.pk)).status_code == 404


# --- autocomplete ------------------------------------------------------------------


def test_autocomplete_is_scoped_and_capped(world, as_user):
    for i in range(25):
        CustomerFactory(owner=world.owner, name=f"有限公司候选{i}")
    data = as_user(world.owner).get(url("autocomplete"), {"q": "有限公司"}).json()
    assert len(data) == 20
    assert set(data[0]) == {"id", "number", "name"}
    assert world.other_customer.name not in {row["name"] for row in data}
    data = as_user(world.outsider).get(url("autocomplete"), {"q": "青山"}).json()
    assert data == []
    assert as_user(world.owner).get(url("autocomplete")).json() == []


# --- layout, login, lockout ----------------------------------------------------------


def test_layout_has_csrf_for_htmx_and_no_inline_script(world, as_user):
    body = as_user(world.admin).get(url("list")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert 'name="htmx-config"' in body
    assert "<script>" not in body and " style=" not in body and " onclick=" not in body
    assert reverse("admin:index") in body and reverse("api-docs") in body
    assert reverse("set_language") in body


def test_login_page_renders(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_repeated_failed_logins_show_translated_lockout_page(world, client):
    for _ in range(6):
        response = client.post(
            reverse("login"),
            {"username": world.owner.username, "password": "wrong"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 429
    body = response.content.decode()
    assert "Account locked" in body and world.owner.username not in body


def test_lockout_page_renders():
    request = RequestFactory().get("/")
    html = render_to_string(
        "registration/lockout.html",
        {"failure_limit": 5, "username": "x", "cooloff_timedelta": "0:15:00"},
        request=request,
    )
    assert "0:15:00" in html


def test_customer_page_and_form_show_the_external_id(client, world):
    from guanxi.customers.models import Customer

    Customer.objects.filter(pk=world.customer.pk).update(external_id="ERP-1")
    client.force_login(world.owner)
    html = client.get(reverse("customers:detail", args=[world.customer.pk])).content.decode()
    assert "ERP-1" in html
    form = client.get(reverse("customers:edit", args=[world.customer.pk])).content.decode()
    assert 'name="external_id"' in form
