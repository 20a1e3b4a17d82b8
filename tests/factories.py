"""factory_boy factories shared by every test."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from guanxi.accounts.models import Role, Team, User
from guanxi.customers.models import Contact, Customer, Interaction, Need, Order
from guanxi.customers.numbering import reserve_customer_numbers
from guanxi.scoring.models import CustomerScore

PASSWORD = "correct-horse-battery-9"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"销售{n}")
    role = Role.REP
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.LazyFunction(lambda: reserve_customer_numbers(timezone.localdate())[0])
    name = factory.Sequence(lambda n: f"上海测试科技有限公司{n}")
    industry = "manufacturing"
    source = "exhibition"
    stage = "lead"
    owner = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"张{n}")
    title = "采购经理"
    phone = "138-0000-0000"
    decision_role = "decision_maker"


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    channel = "phone"
    summary = "电话沟通需求"
    owner = factory.LazyAttribute(lambda o: o.customer.owner)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    ordered_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))
    amount = Decimal("12000.00")
    product_line = "标准件"


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    customer = factory.SubFactory(CustomerFactory)
    description = "产能扩张需要新设备"
    owner = factory.LazyAttribute(lambda o: o.customer.owner)


class CustomerScoreFactory(factory.django.DjangoModelFactory):
    """Stored scores as a run leaves them; pass the dimensions a test reads."""

    class Meta:
        model = CustomerScore

    customer = factory.SubFactory(CustomerFactory)
    standard_version = 1
    as_of = factory.LazyFunction(timezone.localdate)
    computed_at = factory.LazyFunction(timezone.now)
    sales = Decimal("0")
    profit = Decimal("0")
