import pytest

from guanxi.core.pagination import keyset_page
from guanxi.customers.models import Customer
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "ordering", [("-id",), ("name", "id"), ("-name", "-id"), ("-updated_at", "-id")]
)
def test_keyset_walks_every_row_once_in_order(ordering):
    owner = UserFactory()
    names = ["乙", "甲", "乙", "丙", "甲", "丁", "乙"]
    for n in names:
        CustomerFactory(owner=owner, name=n)
    qs = Customer.objects.order_by(*ordering)
    expected = list(qs.values_list("pk", flat=True))
    seen, cursor = [], None
    while True:
        page = keyset_page(qs, cursor, size=2)
        seen.extend(c.pk for c in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_forged_cursor_is_ignored():
    CustomerFactory()
    page = keyset_page(Customer.objects.order_by("-id"), "not-a-cursor", size=10)
    assert len(page.rows) == 1 and not page.has_previous
