import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guanxi.customers.models import Customer

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=TZ)
LONG_AGO = dt.datetime(2024, 1, 1, 9, 0, tzinfo=TZ)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def clock():
    """Frozen clock at NOW (Asia/Shanghai); `clock.move_to(...)` to advance."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_old(customer, profile_fresh: bool = True) -> None:
    """Backdate a customer's creation; keep the profile fresh unless asked."""
    Customer.objects.filter(pk=customer.pk).update(
        created_at=LONG_AGO, profile_updated_at=NOW if profile_fresh else None
    )
