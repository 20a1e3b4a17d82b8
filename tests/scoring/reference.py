"""An independent computation of the facts defined in docs/scoring.md.

It reads the raw rows through the ORM and applies each documented definition in
plain Python, one customer at a time, sharing no code with facts.py's SQL. The
property test checks that the set-based SQL agrees with it on random data.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from guanxi.customers.models import Contact, Customer, Interaction, Need, Order
from guanxi.scoring.facts_types import Facts
from guanxi.scoring.models import CreditProfile, CustomerMaturity
from guanxi.scoring.standard_types import Standard


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=_tz())


def _cents(amount: Decimal) -> int:
    value = amount * 100
    assert value == value.to_integral_value()
    return int(value)


def reference_facts(as_of: dt.date, std: Standard) -> list[Facts]:
    w = std.sales_days
    end = _start(as_of + dt.timedelta(days=1))
    recent_start = _start(as_of - dt.timedelta(days=std.interaction_days - 1))

    orders = defaultdict(list)
    for o in Order.objects.values("customer_id", "ordered_on", "amount", "gross_margin"):
        if o["ordered_on"] <= as_of:  # future-dated orders are ignored
            orders[o["customer_id"]].append(o)
    interactions = defaultdict(list)
    for i in Interaction.objects.values("customer_id", "occurred_at"):
        if i["occurred_at"] < end:
            interactions[i["customer_id"]].append(i["occurred_at"])
    needs = defaultdict(list)
    for n in Need.objects.values("customer_id", "status", "matched_solution"):
        needs[n["customer_id"]].append(n)
    contacts = defaultdict(list)
    for k in Contact.objects.values("customer_id", "decision_role", "is_key_person"):
        contacts[k["customer_id"]].append(k)
    credit = {p.customer_id: p for p in CreditProfile.objects.all()}
    maturity = {m.customer_id: m for m in CustomerMaturity.objects.all()}

    out = []
    customers = Customer.objects.filter(deleted_at__isnull=True, created_at__lt=end)
    for c in customers.order_by("id"):
        mine = orders[c.id]
        window = [o for o in mine if (as_of - o["ordered_on"]).days < w]

        def days(o):
            return (as_of - o["ordered_on"]).days

        with_margin = [o for o in window if o["gross_margin"] is not None]
        seen = interactions[c.id]
        cp = credit.get(c.id)
        m = maturity.get(c.id)
        out.append(
            Facts(
                customer_id=c.id,
                as_of=as_of,
                created_on=c.created_at.astimezone(_tz()).date(),
                stage=c.stage,
                industry=c.industry,
                size_band=c.size_band,
                source=c.source,
                urgency=c.urgency,
                potential_class=c.potential_class,
                contract_status=c.contract_status,
                is_strategic=c.is_strategic,
                satisfaction=c.satisfaction,
                budget_known=c.budget_min is not None or c.budget_max is not None,
                first_order_on=min((o["ordered_on"] for o in mine), default=None),
                last_order_on=max((o["ordered_on"] for o in mine), default=None),
                orders_total=len(mine),
                order_days=len({o["ordered_on"] for o in window}),
                sales=sum(_cents(o["amount"]) for o in window),
                sales_recent=sum(_cents(o["amount"]) for o in window if 2 * days(o) < w),
                sales_previous=sum(_cents(o["amount"]) for o in window if 2 * days(o) >= w),
                active_quarters=len({4 * days(o) // w for o in window}),
                margin_base=sum(_cents(o["amount"]) for o in with_margin),
                profit_x=sum(_cents(o["amount"]) * _cents(o["gross_margin"]) for o in with_margin),
                last_interaction_on=max(seen).astimezone(_tz()).date() if seen else None,
                interactions_recent=sum(1 for t in seen if t >= recent_start),
                needs_open=sum(1 for n in needs[c.id] if n["status"] != "done"),
                needs_matched=sum(1 for n in needs[c.id] if n["matched_solution"] != ""),
                contacts=len(contacts[c.id]),
                decision_maker_known=any(
                    k["decision_role"] == "decision_maker" or k["is_key_person"]
                    for k in contacts[c.id]
                ),
                key_person_known=any(k["is_key_person"] for k in contacts[c.id]),
                payment_method=cp.payment_method if cp else "",
                monthly_plan=_cents(cp.monthly_plan)
                if cp and cp.monthly_plan is not None
                else None,
                maturity=m.value if m else None,
                promised_payment_on=m.promised_payment_on if m else None,
                paid_since_promise=bool(
                    m
                    and m.promise_made_on
                    and any(o["ordered_on"] >= m.promise_made_on for o in mine)
                ),
            )
        )
    return out
