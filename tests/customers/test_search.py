"""Customer search: index-backed on both databases, always equal to a plain substring match."""

import random

import pytest
from django.db import connection

from guanxi.customers import search as search_mod
from guanxi.customers.filters import CustomerFilter, search_customers
from guanxi.customers.models import Customer
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

NAMES = [
    "杭州青山机械制造有限公司",
    "深圳蓝海电子科技有限公司",
    "上海华信精密模具股份有限公司",
    "华信科技（北京）有限公司",
    "苏州恒通五金制品有限公司",
    "Acme Trading 上海 Co., Ltd.",
    "ACME 精密 Parts",
    "100% 纯净水 有限公司",
    "under_score 贸易",
    "back\\slash 物流",
    "青青草原文化传播",
    "华",
    "",
]
PHONES = ["0571-8123 4567", "138-1234-5678", "", "021-5555 1234", "+86 10 6543 2100"]


def plain(value: str) -> set[int]:
    return set(Customer.objects.filter(search_mod.exact_q(value)).values_list("pk", flat=True))


def searched(value: str) -> set[int]:
    return set(search_customers(Customer.objects.all(), value).values_list("pk", flat=True))


@pytest.fixture
def book(db):
    owner = UserFactory()
    return [
        CustomerFactory(owner=owner, name=name, phone=PHONES[i % len(PHONES)])
        for i, name in enumerate(NAMES)
    ]


FRAGMENTS = [
    "华信",  # 2 CJK characters
    "华信精",  # 3
    "有限公司",
    "青青",  # overlapping bigrams
    "青山机械",
    "信科",
    "acme",  # ASCII, case-insensitive
    "ACME 精",
    "mE t",
    "100%",  # LIKE wildcards are literal
    "0% 纯",
    "r_s",
    "_",
    "%",
    "k\\s",
    "1234",  # phone arm
    "8123 45",
    "6543 21",
    "不存在的名字",
    "华",
    "公",
    "（北京）",
]


@pytest.mark.parametrize("value", FRAGMENTS)
def test_search_equals_plain_substring_match(book, value):
    assert searched(value) == plain(value)


def test_case_insensitive_and_number_match(book):
    assert searched("acme") == searched("ACME") == plain("Acme")
    number = book[0].number
    assert searched(number.lower()) == {book[0].pk}


def test_both_paths_agree(book, monkeypatch):
    """Candidates on (rare bigram) and off (too common to narrow): same rows."""
    for value in FRAGMENTS:
        monkeypatch.setattr(search_mod, "common_postings", lambda *a: 10**9)
        with_index = searched(value)
        monkeypatch.setattr(search_mod, "common_postings", lambda *a: 0)
        without = searched(value)
        assert with_index == without == plain(value), value


def test_random_names_and_fragments_match_plain_search():
    owner = UserFactory()
    rng = random.Random(20250630)
    alphabet = "华信青山机械有限公司科技上海AaBb%_ 1"
    for _ in range(150):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        CustomerFactory(owner=owner, name=name)
    names = list(Customer.objects.values_list("name", flat=True))
    for _ in range(150):
        source = rng.choice(names) or "华信"
        start = rng.randrange(len(source))
        value = source[start : start + rng.randint(1, 4)].strip()
        if rng.random() < 0.2:
            value = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 3))).strip()
        if value:
            assert searched(value) == plain(value), value


def test_index_follows_inserts_updates_and_deletes(book):
    customer = book[0]
    assert customer.pk in searched("青山")
    Customer.objects.filter(pk=customer.pk).update(name="宁波东海轴承有限公司")
    assert customer.pk not in searched("青山")
    assert customer.pk in searched("东海")
    customer.refresh_from_db()
    customer.phone = "0574-8765 4321"
    customer.save()
    assert customer.pk in searched("8765")
    Customer.objects.bulk_create(
        [Customer(number="C209901001", name="东海新材料", owner=customer.owner)]
    )
    created = Customer.objects.get(number="C209901001")
    assert searched("东海") == {customer.pk, created.pk}
    Customer.objects.filter(pk=created.pk).delete()
    assert searched("东海") == {customer.pk}


def test_search_keeps_the_visibility_rule(world):
    other = world.other_customer
    visible = Customer.objects.visible_to(world.owner)
    result = search_customers(visible, "蓝海")
    assert other.pk not in set(result.values_list("pk", flat=True))
    assert search_customers(Customer.objects.visible_to(world.director), "蓝海").get() == other
    f = CustomerFilter({"q": "青山"}, queryset=visible, user=world.owner)
    assert list(f.qs) == [world.customer]


def _plan(value: str) -> str:
    qs = search_customers(Customer.objects.all(), value)
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test table is tiny: forbid the plain scans to see whether the index
            # CAN serve (with statistics the planner may prefer walking the pkey).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(
            str(row[-1] if connection.vendor == "sqlite" else row[0]) for row in cursor
        )


@pytest.mark.parametrize("value", ["华信", "华信精", "有限公司"])
def test_two_and_three_character_fragments_use_an_index(book, value):
    plan = _plan(value)
    if connection.vendor == "postgresql":
        assert "cust_name_bigram" in plan, plan
    elif connection.vendor == "sqlite":
        assert "customers_search_gram" in plan or "SEARCH r USING PRIMARY KEY" in plan, plan
        assert "(gram=?)" in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps the bigrams in triggers")
def test_sqlite_triggers_survive_all_migrations():
    """A later migration that rebuilds customers_customer drops the triggers: re-create them."""
    assert search_mod._sqlite_index_ready(connection)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite fallback")
def test_sqlite_falls_back_to_a_scan_without_triggers(book):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER customers_search_gram_upd")
    Customer.objects.filter(pk=book[0].pk).update(name="温州新名字有限公司")
    assert searched("新名") == {book[0].pk} == plain("新名")
    assert "customers_search_gram" not in _plan("新名")
