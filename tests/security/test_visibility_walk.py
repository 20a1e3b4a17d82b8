"""Walks every URL pattern and API endpoint with every persona.

Each named route must be listed in ROUTES (or EXEMPT, with the reason it cannot leak a
customer); a new route without an entry fails `test_every_route_is_classified`. For a
route scoped to one customer, personas outside the visibility rule get 404 — exactly
what a missing object gives — and the database is unchanged afterwards. For list-like
routes (lists, search, export, autocomplete) they never see the customer.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from guanxi.customers import services
from guanxi.customers.models import (
    Contact,
    Customer,
    CustomerCollaborator,
    Interaction,
    Need,
    Order,
    OwnershipChange,
)

pytestmark = pytest.mark.django_db

ALLOWED = ("owner", "manager", "director", "admin")
DENIED = ("teammate", "outsider", "other_manager")
SECRET_NAME = "杭州青山机械制造有限公司"


@dataclass
class Route:
    kind: str  # "scoped" | "list" | "child_create_api"
    url: Callable
    methods: tuple[str, ...] = ("GET",)
    setup: Callable | None = None
    payload: dict = field(default_factory=dict)


def _delete_first(w):
    services.customer_soft_delete(user=w.owner, customer=w.customer)


def _score_all(w):
    from guanxi.scoring.recompute import recompute_all

    recompute_all()


def _calllist_day():
    import datetime as dt

    from django.utils import timezone

    return timezone.localdate() + dt.timedelta(days=40)  # the world's customer is due by then


def _build_calllists(w):
    from guanxi.followup.calllist import calllists_build
    from guanxi.followup.recompute import followups_recompute

    followups_recompute()
    calllists_build(_calllist_day())


def _alert(w):
    from django.utils import timezone

    from guanxi.alerts.models import Alert

    w.alert = Alert.objects.create(
        customer=w.customer, rule="dormant", cause_key="2025-01-01", opened_at=timezone.now()
    )


def _api(name: str, *args) -> Callable:
    return lambda w: reverse(name, args=[a(w) for a in args])


def cust(w):
    return w.customer.pk


ROUTES: dict[str, Route] = {
    # --- pages ---
    "customers:list": Route("list", lambda w: reverse("customers:list") + "?q=青山"),
    "customers:export": Route("list", lambda w: reverse("customers:export")),
    "customers:autocomplete": Route(
        "list", lambda w: reverse("customers:autocomplete") + "?q=青山"
    ),
    "customers:trash": Route("list", lambda w: reverse("customers:trash"), setup=_delete_first),
    "customers:detail": Route("scoped", lambda w: reverse("customers:detail", args=[cust(w)])),
    "customers:edit": Route(
        "scoped",
        lambda w: reverse("customers:edit", args=[cust(w)]),
        ("GET", "POST"),
        payload={"name": "被篡改", "version": "1"},
    ),
    "customers:delete": Route(
        "scoped", lambda w: reverse("customers:delete", args=[cust(w)]), ("POST",)
    ),
    "customers:restore": Route(
        "scoped",
        lambda w: reverse("customers:restore", args=[cust(w)]),
        ("POST",),
        setup=_delete_first,
    ),
    "customers:interaction_create": Route(
        "scoped",
        lambda w: reverse("customers:interaction_create", args=[cust(w)]),
        ("POST",),
        payload={"channel": "phone", "summary": "越权记录", "content_type": "value"},
    ),
    "customers:contact_create": Route(
        "scoped",
        lambda w: reverse("customers:contact_create", args=[cust(w)]),
        ("POST",),
        payload={"name": "越权联系人"},
    ),
    "customers:contact_edit": Route(
        "scoped",
        lambda w: reverse("customers:contact_edit", args=[w.contact.pk]),
        ("GET", "POST"),
        payload={"name": "被篡改", "version": "1"},
    ),
    "customers:order_create": Route(
        "scoped",
        lambda w: reverse("customers:order_create", args=[cust(w)]),
        ("POST",),
        payload={"ordered_on": "2024-05-10", "amount": "100", "quantity": "1"},
    ),
    "customers:need_create": Route(
        "scoped",
        lambda w: reverse("customers:need_create", args=[cust(w)]),
        ("POST",),
        payload={"description": "越权需求", "urgency": "high", "importance": "high"},
    ),
    "customers:need_edit": Route(
        "scoped",
        lambda w: reverse("customers:need_edit", args=[w.need.pk]),
        ("GET", "POST"),
        payload={"description": "被篡改", "version": "1"},
    ),
    # --- API ---
    "customer-list": Route("list", lambda w: reverse("customer-list") + "?q=青山"),
    "customer-detail": Route(
        "scoped",
        _api("customer-detail", cust),
        ("GET", "PUT", "PATCH", "DELETE"),
        payload={"name": "被篡改", "version": 1},
    ),
    "score-list": Route("list", lambda w: reverse("score-list"), setup=_score_all),
    "score-detail": Route("scoped", _api("score-detail", cust), setup=_score_all),
    "score-history": Route("scoped", _api("score-history", cust), setup=_score_all),
    "calllist-list": Route(
        "list",
        lambda w: reverse("calllist-list") + f"?date={_calllist_day():%Y-%m-%d}",
        setup=_build_calllists,
    ),
    "followup-list": Route("list", lambda w: reverse("followup-list"), setup=_build_calllists),
    # --- follow-up pages: a rep's list / calling mode; a rep out of reach is 404 ---
    "followup:calllist": Route(
        "scoped",
        lambda w: reverse("followup:calllist")
        + f"?date={_calllist_day():%Y-%m-%d}&rep={w.owner.pk}",
        setup=_build_calllists,
    ),
    "followup:calling": Route(
        "scoped",
        lambda w: reverse("followup:calling")
        + f"?date={_calllist_day():%Y-%m-%d}&rep={w.owner.pk}&rank=1",
        ("GET", "POST"),
        setup=_build_calllists,
        payload={"outcome": "reached", "channel": "phone", "summary": "越权记录"},
    ),
    "customer-restore": Route(
        "scoped", _api("customer-restore", cust), ("POST",), setup=_delete_first
    ),
    # --- scoring pages ---
    "scoring:classification_customers": Route(
        "list", lambda w: reverse("scoring:classification_customers"), setup=_score_all
    ),
    "scoring:migration_customers": Route(
        # the first run classifies every customer as maturity 0: one change each
        "list",
        lambda w: reverse("scoring:migration_customers") + "?dimension=maturity",
        setup=_score_all,
    ),
    "scoring:maturity_set": Route(
        "scoped",
        lambda w: reverse("scoring:maturity_set", args=[cust(w)]),
        ("POST",),
        payload={"value": "3k", "reason": "越权分类"},
    ),
    # --- alerts (inbox pages and API) ---
    "alerts:inbox": Route("list", lambda w: reverse("alerts:inbox"), setup=_alert),
    "alerts:read": Route(
        "scoped", lambda w: reverse("alerts:read", args=[w.alert.pk]), ("POST",), setup=_alert
    ),
    "alerts:dismiss": Route(
        "scoped", lambda w: reverse("alerts:dismiss", args=[w.alert.pk]), ("POST",), setup=_alert
    ),
    "alerts:purchase_cycle": Route(
        "scoped",
        lambda w: reverse("alerts:purchase_cycle", args=[cust(w)]),
        ("GET", "POST"),
        payload={"days": "12"},
    ),
    "alert-list": Route("list", lambda w: reverse("alert-list"), setup=_alert),
    "alert-detail": Route(
        "scoped", lambda w: reverse("alert-detail", args=[w.alert.pk]), setup=_alert
    ),
    "alert-read": Route(
        "scoped", lambda w: reverse("alert-read", args=[w.alert.pk]), ("POST",), setup=_alert
    ),
    # --- data governance: exports and change history (tests/dataio) ---
    "dataio:export": Route(
        "list", lambda w: reverse("dataio:export") + "?kind=contacts&format=csv&language=en"
    ),
    "dataio:audit": Route("list", lambda w: reverse("dataio:audit")),
    "dataio:audit_record": Route(
        "scoped", lambda w: reverse("dataio:audit_record", args=["customer", cust(w)])
    ),
    # --- follow-up monitoring and activity report (tests/followup/test_monitoring.py) ---
    "followup:monitoring_customers": Route(
        "list", lambda w: reverse("followup:monitoring_customers") + "?metric=all"
    ),
    "followup:activity": Route("list", lambda w: reverse("followup:activity")),
    "followup:activity_export": Route(
        "list", lambda w: reverse("followup:activity_export") + "?format=csv"
    ),
}
for _name, _attr in [
    ("contact", "contact"),
    ("interaction", "interaction"),
    ("order", "order"),
    ("need", "need"),
]:
    ROUTES[f"{_name}-list"] = Route("list", lambda w, n=_name: reverse(f"{n}-list"))
    ROUTES[f"{_name}-detail"] = Route(
        "scoped",
        lambda w, n=_name, a=_attr: reverse(f"{n}-detail", args=[getattr(w, a).pk]),
        ("GET", "PUT", "PATCH", "DELETE"),
        payload={"version": 1, "summary": "被篡改", "name": "被篡改", "description": "被篡改"},
    )

CHILD_CREATE = {
    "contact-list": {"name": "越权联系人"},
    "interaction-list": {
        "channel": "phone",
        "summary": "越权记录",
        "occurred_at": "2024-05-10T10:00:00+08:00",
    },
    "order-list": {"ordered_on": "2024-05-10", "amount": "100.00", "quantity": 1},
    "need-list": {"description": "越权需求", "urgency": "high", "importance": "high"},
}

# Routes that cannot reach another rep's customer, and why.
EXEMPT = {
    "healthz": "database liveness only",
    "login": "authentication",
    "logout": "authentication",
    "set_language": "sets a cookie",
    "api-schema": "static description of the API",
    "api-docs": "static documentation page",
    "api-root": "links to the resources",
    "api-token": "authentication",
    "customers:create": "creates a new customer in the caller's own reach (tested in services)",
    "customers:reassign": "own test below: reassign_matrix",
    "standard-list": "thresholds only, no customer data (tests/scoring/test_api_standards.py)",
    "standard-detail": "as standard-list",
    "standard-activate": "directors/admins only (tests/scoring/test_api_standards.py)",
    "standard-impact": "counts over the caller's visible customers only; directors/admins",
    "cadence-list": "cadence rules only, no customer data (tests/followup/test_api.py)",
    "cadence-detail": "as cadence-list; writes for managers and above only",
    "user-list": "own test below: users are scoped by reachable_owner_ids_q",
    "user-detail": "own test below",
    "user-me": "the caller only",
    "team-list": "own test below",
    "team-detail": "own test below",
    "scoring:standard_list": "classification standards: thresholds only, no customer data",
    "scoring:standard_detail": "classification standards: thresholds only, no customer data",
    "scoring:standard_create": "directors/admins only (403 otherwise); no customer data",
    "scoring:standard_edit": "directors/admins only (403 otherwise); no customer data",
    "scoring:standard_preview": "directors/admins only (403 otherwise, see tests/scoring/"
    "test_views.py); counts over Customer.objects.visible_to",
    "scoring:standard_preview_customers": "directors/admins only (403 otherwise); rows come from"
    " Customer.objects.visible_to (tests/scoring/test_views.py)",
    "scoring:standard_activate": "directors/admins only (403 otherwise); POST, shows nothing",
    "scoring:classification": "aggregate counts only, over visible_scores; counts per persona"
    " in tests/scoring/test_views.py; its drill-down is walked as a list",
    "scoring:classification_export": "xlsx (a zip, opaque to the walker): tests/scoring/"
    "test_views.py unzips it and checks each persona gets only visible rows",
    "alerts:badge": "a count of the caller's own visible unread alerts; no customer data",
    "alerts:preferences": "the caller's own notification settings; no customer data",
    "alerts:rules": "rule thresholds only, no customer data; writes for directors/admins"
    " (tests/alerts/test_settings_pages.py)",
    "scoring:migration": "aggregate counts only, over Customer.objects.visible_to; its"
    " drill-down is walked as a list",
    "dataio:jobs": "the caller's own jobs only (tests/dataio/test_jobs.py)",
    "dataio:job": "another user's job is 404 (tests/dataio/test_jobs.py)",
    "dataio:job_cancel": "as dataio:job",
    "dataio:job_download": "as dataio:job; the file is what the job's own user could see",
    "dataio:import": "upload form; creates a draft job of the caller's own",
    "dataio:import_mapping": "the caller's own draft job only, 404 otherwise; shows the"
    " caller's own file (tests/dataio/test_import_views.py)",
    "dataio:import_preview": "as dataio:import_mapping; other reps' customers appear only as"
    " 'exists in another rep's book' (tests/dataio/test_import_customers.py)",
    "dataio:import_confirm": "as dataio:import_mapping; POST, redirects to the job",
    "dataio:personal_search": "administrators only, 404 for everyone else (tests/dataio/"
    "test_personal.py)",
    "dataio:personal_detail": "as dataio:personal_search",
    "dataio:personal_export": "as dataio:personal_search",
    "dataio:personal_erase": "as dataio:personal_search",
    "followup:calllist_build": "builds today's lists once (set-based, all reps); shows nothing,"
    " redirects to the caller's own list",
    "followup:cadences": "cadence rules only, no customer data"
    " (tests/followup/test_views_cadences.py)",
    "followup:cadence_create": "as followup:cadences; managers and above (403 otherwise)",
    "followup:cadence_edit": "as followup:cadence_create",
    "followup:cadence_toggle": "as followup:cadence_create",
    "followup:calendar": "holidays and make-up days only; edits for directors and admins",
    "followup:capacity": "users in the caller's reach only (reachable_owner_ids_q), no customer"
    " data; managers and above (tests/followup/test_views_cadences.py)",
    "followup:monitoring": "counts per rep only, over Customer.objects.visible_to of the reps"
    " in reach (a rep: own row); its drill-down is walked as a list",
    "followup:monitoring_targets": "expected stock numbers only; directors/admins (403 otherwise)",
}


def _route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, ns=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue  # admin has its own test (staff only, scoped querysets)
                walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(ns + p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_route_is_classified():
    unclassified = _route_names() - set(ROUTES) - set(EXEMPT)
    assert not unclassified, f"routes without a visibility check: {sorted(unclassified)}"
    stale = (set(ROUTES) | set(EXEMPT)) - _route_names()
    assert not stale, f"classified routes that no longer exist: {sorted(stale)}"


def snapshot(w) -> tuple:
    """Everything a denied request could have touched."""
    c = Customer.objects.get(pk=w.customer.pk)
    return (
        (c.name, c.version, c.owner_id, c.deleted_at),
        tuple(Contact.objects.values_list("pk", "name", "version").order_by("pk")),
        tuple(Interaction.objects.values_list("pk", "summary", "version").order_by("pk")),
        tuple(Order.objects.values_list("pk", "amount", "version").order_by("pk")),
        tuple(Need.objects.values_list("pk", "description", "version").order_by("pk")),
        OwnershipChange.objects.count(),
        CustomerCollaborator.objects.count(),
    )


def _request(client, method: str, url: str, payload: dict, api: bool):
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if api:
        return call(url, data=json.dumps(payload), content_type="application/json")
    return call(url, data=payload)


SCOPED = [(n, m) for n, r in ROUTES.items() if r.kind == "scoped" for m in r.methods]


@pytest.mark.parametrize("persona", DENIED)
@pytest.mark.parametrize(("name", "method"), SCOPED)
def test_denied_personas_get_404_and_change_nothing(world, client, name, method, persona):
    route = ROUTES[name]
    if route.setup:
        route.setup(world)
    client.force_login(getattr(world, persona))
    before = snapshot(world)
    response = _request(client, method, route.url(world), route.payload, api=":" not in name)
    assert response.status_code == 404, (name, method, persona, response.status_code)
    assert snapshot(world) == before


@pytest.mark.parametrize("persona", ALLOWED)
@pytest.mark.parametrize(("name", "method"), SCOPED)
def test_allowed_personas_reach_the_customer(world, client, name, method, persona):
    route = ROUTES[name]
    if route.setup:
        route.setup(world)
    client.force_login(getattr(world, persona))
    response = _request(client, method, route.url(world), route.payload, api=":" not in name)
    assert response.status_code not in (403, 404), (name, method, persona)


def test_collaborator_reaches_the_customer(world, client):
    CustomerCollaborator.objects.create(customer=world.customer, user=world.teammate)
    client.force_login(world.teammate)
    assert client.get(reverse("customers:detail", args=[world.customer.pk])).status_code == 200
    assert client.get(reverse("customer-detail", args=[world.customer.pk])).status_code == 200


def _leaks(response, w) -> bool:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig", errors="replace")
    if SECRET_NAME in text or w.customer.number in text or "王建国" in text:
        return True
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(text)
        rows = data.get("results", data) if isinstance(data, dict) else data
        for row in rows if isinstance(rows, list) else []:
            ref = row.get("customer") if isinstance(row, dict) else None
            ref = ref.get("id") if isinstance(ref, dict) else ref
            if ref == w.customer.pk or (isinstance(row, dict) and row.get("id") == w.customer.pk):
                return True
    return False


LISTS = [n for n, r in ROUTES.items() if r.kind == "list"]


@pytest.mark.parametrize("persona", DENIED)
@pytest.mark.parametrize("name", LISTS)
def test_lists_search_and_exports_never_show_out_of_reach_customers(world, client, name, persona):
    route = ROUTES[name]
    if route.setup:
        route.setup(world)
    client.force_login(getattr(world, persona))
    response = client.get(route.url(world))
    assert response.status_code == 200, (name, persona)
    assert not _leaks(response, world), (name, persona)


@pytest.mark.parametrize("persona", ALLOWED)
@pytest.mark.parametrize("name", LISTS)
def test_lists_show_the_customer_to_those_who_may_see_it(world, client, name, persona):
    route = ROUTES[name]
    if route.setup:
        route.setup(world)
    client.force_login(getattr(world, persona))
    response = client.get(route.url(world))
    assert response.status_code == 200
    assert _leaks(response, world), (name, persona)


@pytest.mark.parametrize("persona", DENIED)
@pytest.mark.parametrize("name", sorted(CHILD_CREATE))
def test_api_child_create_on_out_of_reach_customer_is_refused(world, client, name, persona):
    client.force_login(getattr(world, persona))
    before = snapshot(world)
    payload = {**CHILD_CREATE[name], "customer": world.customer.pk}
    response = client.post(reverse(name), data=json.dumps(payload), content_type="application/json")
    missing = client.post(
        reverse(name),
        data=json.dumps({**payload, "customer": 987654321}),
        content_type="application/json",
    )
    assert response.status_code == missing.status_code == 400

    # Indistinguishable from a customer that does not exist (but for the id echoed back).
    def shape(r):
        return re.sub(r"\d+", "N", json.dumps(r.json(), ensure_ascii=False))

    assert shape(response) == shape(missing)
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("persona", "moves"),
    [
        ("owner", False),
        ("teammate", False),
        ("outsider", False),
        ("other_manager", False),
        ("manager", True),
        ("director", True),
    ],
)
def test_reassign_matrix(world, client, persona, moves):
    client.force_login(getattr(world, persona))
    client.post(
        reverse("customers:reassign"),
        {"ids": str(world.customer.pk), "to_owner": world.teammate.pk, "reason": "x"},
    )
    world.customer.refresh_from_db()
    assert (world.customer.owner == world.teammate) is moves


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("owner", {"rep_a1"}),
        ("outsider", {"rep_b1"}),
        ("manager", {"manager_a", "rep_a1", "rep_a2"}),
        ("other_manager", {"manager_b", "rep_b1"}),
    ],
)
def test_api_users_are_least_privilege(world, client, persona, sees):
    client.force_login(getattr(world, persona))
    rows = client.get(reverse("user-list")).json()["results"]
    assert {r["username"] for r in rows} == sees
    other = world.director.pk
    assert client.get(reverse("user-detail", args=[other])).status_code == 404


def test_admin_site_is_scoped_for_staff_who_are_not_directors(world, client):
    from django.contrib.auth.models import Permission

    world.manager.is_staff = True
    world.manager.save()
    world.manager.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(world.manager)
    listing = client.get("/admin/customers/customer/").content.decode()
    assert SECRET_NAME in listing and "深圳蓝海电子" not in listing
    other = client.get(f"/admin/customers/customer/{world.other_customer.pk}/change/")
    assert other.status_code in (302, 404)
