"""Normalisation rules (examples + properties) and the set-based duplicate finder."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.customers.matching import (
    company_key,
    duplicates_within,
    email_key,
    find_customer_matches,
    keys_backfill,
    phone_key,
)
from guanxi.customers.models import Contact, Customer

SUFFIXES = [
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
    "集团",
    " Co., Ltd.",
    " Inc.",
]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("杭州青山机械有限公司", "杭州青山机械"),
        ("杭州青山机械有限责任公司", "杭州 青山机械 有限公司"),
        ("ＡＢＣ科技（上海）有限公司", "abc科技(上海)"),
        ("Acme Trading Co., Ltd.", "ACME TRADING"),
        ("Acme Trading Company Limited", "acme  trading"),
        ("华为技术股份有限公司", "华为技术"),
        ("万科集团有限公司", "万科"),
    ],
)
def test_company_names_that_match(a, b):
    assert company_key(a) == company_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Tesco", "Tes"),  # "co" is a suffix only as a word
        ("杭州分公司", "杭州"),  # a branch is not its parent
        ("青山机械", "青山电子"),
    ],
)
def test_company_names_that_differ(a, b):
    assert company_key(a) != company_key(b)


def test_a_name_that_is_only_a_suffix_never_becomes_empty():
    assert company_key("有限公司") and company_key("集团")
    assert company_key("") == "" and company_key(None) == ""


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("０５７１－８８８８ ６６６６", "057188886666"),
        ("+86 571 8888 6666", "057188886666"),
        ("0571-88886666转123", "057188886666"),
        ("0571-88886666 ext. 9", "057188886666"),
        ("+1 415 555 0100", "+14155550100"),
        ("123", ""),
        ("", ""),
    ],
)
def test_phone_keys(raw, key):
    assert phone_key(raw) == key


def test_email_keys():
    assert email_key("  Li.Na@Example.COM ") == "li.na@example.com"
    assert email_key("ｌｉ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "li@example.com"
    assert email_key("no-at-sign") == "" and email_key("a@b@c") == ""


names = st.text(
    alphabet=st.sampled_from(list("青山机械电子科技ABCabc 0123-（）()．，,.公司有限集团Ｃｏ")),
    max_size=30,
)


@given(names)
def test_company_key_is_idempotent(name):
    assert company_key(company_key(name)) == company_key(name)


@given(names, st.sampled_from(SUFFIXES), st.sampled_from(["", " ", "  ", "\u3000"]))
def test_suffix_and_spacing_do_not_matter(base, suffix, space):
    base_key = company_key(base)
    if not base_key or base_key != company_key(base + "X")[:-1]:
        return  # the base itself ends in a suffix fragment; covered by examples
    assert company_key(base + space + suffix) == company_key(base)


@given(names)
def test_full_width_and_case_do_not_matter(name):
    full = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    assert company_key(full) == company_key(name.upper()) == company_key(name)


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86 ", "0086", "86"])
)
def test_mobile_prefix_and_separators(number, prefix):
    spaced = f"{number[:3]}-{number[3:7]} {number[7:]}"
    assert phone_key(prefix + spaced) == phone_key(number) == number


@given(st.text(max_size=40))
def test_phone_key_is_digits_or_empty(text):
    key = phone_key(text)
    assert key == "" or key.lstrip("+").isdigit()
    assert phone_key(key) in (key, "")


def test_duplicates_within_a_file():
    assert duplicates_within([(2, "a"), (3, "b"), (4, "a"), (5, ""), (6, "")]) == {4: 2}


@pytest.mark.django_db
def test_find_matches_hides_customers_the_user_cannot_see(world):
    found = find_customer_matches(
        world.owner,
        names=[company_key("杭州青山机械制造"), company_key("深圳蓝海电子")],
        phones=[phone_key("138-0000-0000")],  # world.contact's phone
    )
    own = found[("name", company_key("杭州青山机械制造"))][0]
    assert own.visible and own.number == world.customer.number
    other = found[("name", company_key("深圳蓝海电子"))][0]
    assert not other.visible and other.number == "" and other.name == ""
    assert found[("phone", "13800000000")][0].customer_id == world.customer.pk
    # the director sees everything
    seen = find_customer_matches(world.director, names=[company_key("深圳蓝海电子")])
    assert seen[("name", company_key("深圳蓝海电子"))][0].visible


@pytest.mark.django_db
def test_saves_keep_keys_and_backfill_fills_bulk_written_rows(world):
    c = world.customer
    assert c.name_key == company_key(c.name)
    c.name = "新名字有限公司"
    c.save(update_fields=["name"])
    assert Customer.objects.get(pk=c.pk).name_key == "新名字"
    Customer.objects.filter(pk=c.pk).update(name_key=None, phone_key=None)
    Contact.objects.update(phone_key=None, email_key=None)
    assert keys_backfill() >= 2
    assert Customer.objects.get(pk=c.pk).name_key == "新名字"
    assert Contact.objects.get(pk=world.contact.pk).phone_key == "13800000000"
