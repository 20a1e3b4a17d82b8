"""Customers over real HTTP: CRUD, filters, cursor, optimistic locking, bad input,
and the visibility rule (owner, teammate, outsider, manager, director)."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.db.models import Max
from django.utils import timezone

from guanxi.customers.models import Customer, OwnershipChange, Tag
from guanxi.scoring.models import CustomerMaturity
from tests.factories import CustomerFactory, CustomerScoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def walk(api, url):
    """Follow `next` links; return every row and the number of pages."""
    rows, pages = [], 0
    while url:
        r = api.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        rows.extend(body["results"])
        pages += 1
        url = body["next"]
    return rows, pages


# --- create / read / filter ---------------------------------------------------------


def test_create_then_read_back(world, api_as):
    api = api_as(world.owner)
    tag = Tag.objects.create(name="产能扩张需求")
    r = api.post(
        "customers/",
        {
            "name": "苏州东方精密机械有限公司",
            "industry": "manufacturing",
            "potential_class": "A",
            "stage": "potential",
            "phone": "+86 512-6666 8888",
            "annual_revenue": "12500000.00",
            "tags": [tag.pk],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["number"].startswith("C") and body["version"] == 1
    assert body["owner"]["id"] == world.owner.pk and body["owner"]["name"] == str(world.owner)
    assert body["tags"] == [{"id": tag.pk, "name": "产能扩张需求", "color": "secondary"}]
    assert body["composite_label"] == "[Manufacturing]-[产能扩张需求]-[Class A]"
    assert body["created_at"] and body["updated_at"] and body["profile_updated_at"]
    detail = api.get(f"customers/{body['id']}/")
    assert detail.status_code == 200
    assert detail.json() == body
    # The service logged the first owner.
    assert OwnershipChange.objects.filter(customer_id=body["id"], to_owner=world.owner).exists()


def test_list_and_filters(world, api_as):
    api = api_as(world.owner)
    tag = Tag.objects.create(name="老客户")
    soft = CustomerFactory(owner=world.owner, name="无锡软件科技", industry="software")
    soft.tags.add(tag)
    CustomerFactory(owner=world.owner, name="常州零售连锁", industry="retail", stage="won")

    def ids(query):
        r = api.get(f"customers/?{query}")
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["results"]}

    everything = ids("")
    assert world.customer.pk in everything and world.other_customer.pk not in everything
    assert len(everything) == 3
    assert ids("industry=software") == {soft.pk}
    assert ids("stage=won") == {c.pk for c in Customer.objects.filter(name="常州零售连锁")}
    assert ids("q=无锡") == {soft.pk}
    assert ids(f"q={soft.number}") == {soft.pk}
    assert ids(f"tag={tag.pk}") == {soft.pk}
    assert ids(f"owner={world.owner.pk}") == everything


def test_filters_by_stored_scores_and_maturity(world, api_as):
    def scored(owner, value_tier, health, maturity):
        customer = CustomerFactory(owner=owner)
        CustomerScoreFactory(customer=customer, value_tier=value_tier, health_grade=health)
        CustomerMaturity.objects.create(customer=customer, value=maturity, since=timezone.now())
        return customer.pk

    core = scored(world.owner, "core", "at_risk", "3k")
    low = scored(world.owner, "low", "healthy", "2")
    scored(world.outsider, "core", "at_risk", "3k")  # not theirs: never listed
    api = api_as(world.owner)

    def ids(query):
        r = api.get(f"customers/?{query}")
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["results"]}

    assert ids("value_tier=core") == {core}
    assert ids("health=healthy") == {low}
    assert ids("maturity=3k") == {core}
    assert ids("value_tier=core&maturity=2") == set()
    r = api.get("customers/?health=dying")
    assert r.status_code == 400 and list(r.json()) == ["health"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("industry=spaceflight", "industry"),
        ("stage=nope", "stage"),
        ("ordering=password", "ordering"),
        ("ordering=-owner__password", "ordering"),
        ("tag=999999", "tag"),
        ("owner=abc", "owner"),
    ],
)
def test_unknown_filter_values_and_sorts_are_400(world, api_as, query, field):
    r = api_as(world.owner).get(f"customers/?{query}")
    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert isinstance(r.json()[field], list)


def test_owner_filter_cannot_name_someone_out_of_reach(world, api_as):
    r = api_as(world.owner).get(f"customers/?owner={world.outsider.pk}")
    assert r.status_code == 400 and "owner" in r.json()


# --- pagination -------------------------------------------------------------------------


def test_cursor_walks_every_row_once(world, api_as):
    api = api_as(world.owner)
    names = ["乙", "甲", "乙", "丙", "甲", "丁", "乙"]
    for n in names:
        CustomerFactory(owner=world.owner, name=n)
    expected = list(
        Customer.objects.visible_to(world.owner).order_by("-id").values_list("pk", flat=True)
    )
    rows, pages = walk(api, "customers/?page_size=3")
    assert [c["id"] for c in rows] == expected
    assert pages == 3

    by_name = list(
        Customer.objects.visible_to(world.owner).order_by("name", "id").values_list("pk", flat=True)
    )
    rows, _ = walk(api, "customers/?ordering=name&page_size=2")
    assert [c["id"] for c in rows] == by_name
    rows, _ = walk(api, "customers/?ordering=-name&page_size=2")
    assert [c["id"] for c in rows] == list(
        Customer.objects.visible_to(world.owner)
        .order_by("-name", "-id")
        .values_list("pk", flat=True)
    )


def test_previous_link_goes_back(world, api_as):
    api = api_as(world.owner)
    for _ in range(4):
        CustomerFactory(owner=world.owner)
    first = api.get("customers/?page_size=2").json()
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()
    assert [c["id"] for c in back["results"]] == [c["id"] for c in first["results"]]


def test_forged_or_mismatched_cursor_is_400(world, api_as):
    api = api_as(world.owner)
    for _ in range(3):
        CustomerFactory(owner=world.owner)
    # DRF's unsigned format: position "abc" against an integer id.
    forged = api.get("customers/?cursor=cD1hYmM%3D")
    assert forged.status_code == 400 and "cursor" in forged.json()
    nxt = api.get("customers/?page_size=1").json()["next"]
    cursor = parse_qs(urlparse(nxt).query)["cursor"][0]
    other = api.get("customers/", params={"cursor": cursor, "ordering": "name"})
    assert other.status_code == 400 and "cursor" in other.json()
    assert api.get("customers/", params={"cursor": cursor}).status_code == 200


# --- optimistic locking -------------------------------------------------------------------


def test_stale_version_is_409_and_changes_nothing(world, api_as):
    api = api_as(world.owner)
    url = f"customers/{world.customer.pk}/"
    ok = api.patch(url, {"version": 1, "city": "杭州"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2 and ok.json()["city"] == "杭州"
    stale = api.patch(url, {"version": 1, "city": "宁波", "stage": "won"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2 and body["detail"]
    assert body["current"]["city"] == "杭州"
    world.customer.refresh_from_db()
    assert (world.customer.city, world.customer.stage, world.customer.version) == (
        "杭州",
        "lead",
        2,
    )


def test_put_replaces_and_needs_the_version(world, api_as):
    api = api_as(world.owner)
    url = f"customers/{world.customer.pk}/"
    current = api.get(url).json()
    missing = api.put(url, {"name": "新名字"})
    assert missing.status_code == 400 and "version" in missing.json()
    put = api.put(url, {"name": "新名字", "version": current["version"], "city": "温州"})
    assert put.status_code == 200, put.text
    assert put.json()["name"] == "新名字" and put.json()["version"] == current["version"] + 1


def test_patch_without_version_is_400(world, api_as):
    api = api_as(world.owner)
    r = api.patch(f"customers/{world.customer.pk}/", {"city": "宁波"})
    assert r.status_code == 400
    assert "version" in r.json()
    world.customer.refresh_from_db()
    assert world.customer.city == "" and world.customer.version == 1


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "phone": "call me maybe"}, "phone"),
        ({"name": "ok", "website": "not a url"}, "website"),
        ({"name": "ok", "annual_revenue": "-1"}, "annual_revenue"),
        ({"name": "ok", "annual_revenue": "1e400"}, "annual_revenue"),
        ({"name": "ok", "satisfaction": 9}, "satisfaction"),
        ({"name": "ok", "stage": "bogus"}, "stage"),
        ({"name": "ok", "tags": [999999]}, "tags"),
        ({"name": "ok", "tags": "not-a-list"}, "tags"),
        ({"name": "ok", "notes": "长" * 20001}, "notes"),
        ({"name": "ok", "is_strategic": "maybe"}, "is_strategic"),
        ({"name": "ok\x00"}, "name"),
        ({"name": "ok", "budget_min": "200", "budget_max": "100"}, "non_field_errors"),
    ],
)
def test_bad_input_is_400_with_field_errors(world, api_as, payload, field):
    before = Customer.objects.count()
    r = api_as(world.owner).post("customers/", payload)
    assert r.status_code == 400, r.text
    assert field in r.json()
    assert isinstance(r.json()[field], list) and r.json()[field]
    assert Customer.objects.count() == before


def test_malformed_json_is_400_detail(world, api_as):
    api = api_as(world.owner)
    r = api.session.post(
        api.url("customers/"), data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and "detail" in r.json()


def test_ten_megabyte_text_is_refused(world, api_as):
    before = Customer.objects.count()
    r = api_as(world.owner).post("customers/", {"name": "ok", "notes": "x" * (10 * 1024 * 1024)})
    assert r.status_code == 413
    assert r.json()["detail"]
    assert Customer.objects.count() == before


def test_html_in_notes_is_stored_as_is_and_returned_as_json_text(world, api_as):
    api = api_as(world.owner)
    html = '<script>alert("x")</script><b onclick=steal()>粗体</b> & "quotes"'
    r = api.post("customers/", {"name": "某公司", "notes": html})
    assert r.status_code == 201
    got = api.get(f"customers/{r.json()['id']}/")
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.json()["notes"] == html
    assert Customer.objects.get(pk=r.json()["id"]).notes == html


def test_number_cannot_be_chosen_so_it_cannot_be_duplicated(world, api_as):
    api = api_as(world.owner)
    r = api.post("customers/", {"name": "抄号公司", "number": world.customer.number})
    assert r.status_code == 201
    assert r.json()["number"] != world.customer.number
    assert Customer.objects.filter(number=world.customer.number).count() == 1


# --- forbidden fields -----------------------------------------------------------------------


def test_forbidden_fields_are_ignored_on_create(world, api_as):
    before = Customer.objects.count()
    top = Customer.objects.aggregate(m=Max("id"))["m"]
    r = api_as(world.owner).post(
        "customers/",
        {
            "name": "越权公司",
            "id": top + 1000,
            "number": "C000000001",
            "version": 99,
            "deleted_at": "2020-01-01T00:00:00Z",
            "deleted_by": world.director.pk,
            "created_at": "2000-01-01T00:00:00Z",
            "profile_updated_at": "2000-01-01T00:00:00Z",
            "composite_label": "[forged]",
            "collaborators": [world.outsider.pk],
            "history": [],
        },
    )
    assert r.status_code == 201, r.text
    assert Customer.objects.count() == before + 1
    c = Customer.objects.get(name="越权公司")
    assert c.pk != top + 1000 and c.number != "C000000001" and c.version == 1
    assert c.deleted_at is None and c.deleted_by is None
    assert c.created_at.year > 2000 and c.profile_updated_at.year > 2000
    assert not c.collaborators.exists()


def test_forbidden_fields_are_ignored_on_update(world, api_as):
    c = world.customer
    before = Customer.objects.values().get(pk=c.pk)
    r = api_as(world.owner).patch(
        f"customers/{c.pk}/",
        {
            "version": 1,
            "number": "C000000001",
            "deleted_at": "2020-01-01T00:00:00Z",
            "created_at": "2000-01-01T00:00:00Z",
            "id": 424242,
        },
    )
    assert r.status_code == 200, r.text
    after = Customer.objects.values().get(pk=c.pk)
    for field in ("id", "number", "deleted_at", "created_at", "owner_id", "name"):
        assert after[field] == before[field], field
    assert after["version"] == 2  # the update itself counts


# --- owners -----------------------------------------------------------------------------------


def test_rep_cannot_give_a_new_customer_to_someone_else(world, api_as):
    before = Customer.objects.count()
    r = api_as(world.owner).post("customers/", {"name": "某公司", "owner": world.teammate.pk})
    assert r.status_code == 400
    assert "owner" in r.json()
    assert Customer.objects.count() == before


def test_rep_cannot_move_a_customer_to_someone_else(world, api_as):
    url = f"customers/{world.customer.pk}/"
    r = api_as(world.owner).patch(url, {"version": 1, "owner": world.teammate.pk})
    assert r.status_code == 400 and "owner" in r.json()
    world.customer.refresh_from_db()
    assert world.customer.owner == world.owner and world.customer.version == 1
    assert OwnershipChange.objects.filter(customer=world.customer).count() == 0


def test_manager_reassigns_within_team_and_it_is_logged(world, api_as):
    api = api_as(world.manager)
    url = f"customers/{world.customer.pk}/"
    r = api.patch(url, {"version": 1, "owner": world.teammate.pk})
    assert r.status_code == 200, r.text
    assert r.json()["owner"]["id"] == world.teammate.pk
    world.customer.refresh_from_db()
    assert world.customer.owner == world.teammate
    log = OwnershipChange.objects.get(customer=world.customer)
    assert (log.from_owner, log.to_owner, log.changed_by) == (
        world.owner,
        world.teammate,
        world.manager,
    )
    other_team = api.patch(url, {"version": 2, "owner": world.outsider.pk})
    assert other_team.status_code == 400 and "owner" in other_team.json()


def test_manager_creates_for_a_team_member(world, api_as):
    r = api_as(world.manager).post("customers/", {"name": "团队客户", "owner": world.owner.pk})
    assert r.status_code == 201
    assert Customer.objects.get(pk=r.json()["id"]).owner == world.owner


# --- visibility -------------------------------------------------------------------------------


def test_other_reps_customer_is_404_like_a_missing_one(world, api_as):
    api = api_as(world.owner)
    theirs = f"customers/{world.other_customer.pk}/"
    missing_id = Customer.objects.aggregate(m=Max("id"))["m"] + 100
    missing = f"customers/{missing_id}/"

    for method, payload in [
        ("get", None),
        ("patch", {"version": 1, "name": "x"}),
        ("delete", None),
    ]:
        kwargs = {} if payload is None else {"json": payload}
        a = getattr(api.session, method)(api.url(theirs), **kwargs)
        b = getattr(api.session, method)(api.url(missing), **kwargs)
        assert a.status_code == b.status_code == 404, method
        assert a.json() == b.json(), method
    put = api.put(theirs, {"version": 1, "name": "x"})
    assert put.status_code == 404
    restore = api.post(f"{theirs}restore/")
    assert restore.status_code == 404

    world.other_customer.refresh_from_db()
    assert world.other_customer.name == "深圳蓝海电子有限公司"
    assert world.other_customer.deleted_at is None and world.other_customer.version == 1
    listed = {c["id"] for c in api.get("customers/").json()["results"]}
    assert world.other_customer.pk not in listed


def test_teammate_sees_nothing_of_a_colleagues_book(world, api_as):
    api = api_as(world.teammate)
    assert api.get("customers/").json()["results"] == []
    assert api.get(f"customers/{world.customer.pk}/").status_code == 404


def test_collaborator_sees_the_customer(world, api_as):
    world.customer.collaborators.add(world.teammate)
    r = api_as(world.teammate).get(f"customers/{world.customer.pk}/")
    assert r.status_code == 200
    assert [u["id"] for u in r.json()["collaborators"]] == [world.teammate.pk]


def test_manager_sees_the_team_and_director_sees_all(world, api_as):
    extra = CustomerFactory(owner=world.teammate)

    def listed(user):
        return {c["id"] for c in api_as(user).get("customers/").json()["results"]}

    assert listed(world.manager) == {world.customer.pk, extra.pk}
    assert listed(world.other_manager) == {world.other_customer.pk}
    assert listed(world.director) == {world.customer.pk, extra.pk, world.other_customer.pk}
    assert listed(world.admin) == listed(world.director)
    assert api_as(world.manager).get(f"customers/{world.other_customer.pk}/").status_code == 404


def test_non_numeric_ids_are_404_not_500(world, api_as):
    api = api_as(world.owner)
    assert api.get("customers/abc/").status_code == 404
    assert api.get("customers/99999999999999999999999/").status_code == 404


# --- delete / restore ---------------------------------------------------------------------


def test_delete_is_soft_and_restore_brings_it_back(world, api_as):
    api = api_as(world.owner)
    url = f"customers/{world.customer.pk}/"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    row = Customer.objects.get(pk=world.customer.pk)
    assert row.deleted_at is not None and row.deleted_by == world.owner
    assert row.contacts.count() == 1  # nothing hard-deleted
    restored = api.post(f"{url}restore/")
    assert restored.status_code == 200, restored.text
    assert restored.json()["id"] == world.customer.pk
    assert api.get(url).status_code == 200
    # Restoring a live customer: there is no deleted one with that id.
    assert api.post(f"{url}restore/").status_code == 404


def test_history_records_the_api_user(world, api_as):
    r = api_as(world.owner).patch(f"customers/{world.customer.pk}/", {"version": 1, "city": "绍兴"})
    assert r.status_code == 200
    last = Customer.history.filter(id=world.customer.pk).latest("history_date")
    assert last.history_user == world.owner and last.city == "绍兴"


def test_a_new_rep_starts_with_an_empty_book(live_server, api_as, db):
    rep = UserFactory()
    r = api_as(rep).get("customers/")
    assert r.status_code == 200
    assert r.json() == {"next": None, "previous": None, "results": []}
