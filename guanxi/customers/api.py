"""/api/v1/ customers, contacts, interactions, orders, needs.

Reads come only from `selectors` (so anything the caller may not see answers 404,
exactly like a missing row); writes only through `services`.
"""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.core.api import NOT_FOUND
from guanxi.core.viewsets import ServiceViewSet, crud_schema

from . import choices, selectors, services
from .filters import CUSTOMER_SORTS, CustomerFilter
from .models import Contact, Customer, Interaction, Need, Order
from .serializers import (
    ContactSerializer,
    ContactUpdateSerializer,
    CustomerSerializer,
    CustomerUpdateSerializer,
    InteractionSerializer,
    InteractionUpdateSerializer,
    NeedSerializer,
    NeedUpdateSerializer,
    OrderSerializer,
    OrderUpdateSerializer,
)

DEFAULT_SORT = "-id"


@crud_schema(CustomerSerializer, tag="customers")
class CustomerViewSet(ServiceViewSet):
    """Customers the caller may see (owner, collaborator, manager of the owner's
    team, director/admin).

    Filters: `q` (name, number, phone fragment), `industry`, `source`, `stage`,
    `tag`, `owner`, and `ordering` — one of `-id` (default), `id`, `name`, `-name`,
    `number`, `-number`, `updated_at`, `-updated_at`; anything else answers 400.

    Ordering and the cursor: the paginator reads the same `ordering` parameter
    (through the same `CUSTOMER_SORTS` table the filter uses), so the page order
    and the cursor position always agree, and every ordering ends in a unique
    key or is itself unique. A cursor remembers the ordering it was made for;
    using it with another ordering answers 400 — start again from the first page.

    DELETE is a soft delete; POST `{id}/restore/` brings the customer back.
    Updates (PUT/PATCH) must send the `version` read; a stale one answers 409.
    """

    serializer_class = CustomerSerializer
    update_serializer_class = CustomerUpdateSerializer
    filterset_class = CustomerFilter

    def get_queryset(self) -> QuerySet[Customer]:
        return (
            selectors.visible_customers(self.request.user)
            .select_related("owner", "score", "maturity")
            .prefetch_related("tags", "collaborators")
        )

    def get_object(self) -> Customer:
        customer = selectors.customer_get(self.request.user, int(self.kwargs["pk"]))
        self.check_object_permissions(self.request, customer)
        return customer

    def get_cursor_ordering(self, request: Request) -> tuple[str, ...]:
        # An unknown value never gets here: the filter answers 400 first.
        return CUSTOMER_SORTS.get(request.query_params.get("ordering") or DEFAULT_SORT, ("-id",))

    def service_create(self, data: dict[str, Any]) -> Customer:
        return services.customer_create(user=self.request.user, data=data)

    def service_update(self, instance: Customer, *, version: int, data: dict) -> Customer:
        return services.customer_update(
            user=self.request.user, customer=instance, version=version, data=data
        )

    def service_delete(self, instance: Customer) -> None:
        services.customer_soft_delete(user=self.request.user, customer=instance)

    @extend_schema(
        tags=["customers"], request=None, responses={200: CustomerSerializer, 404: NOT_FOUND}
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def restore(self, request: Request, pk: str) -> Response:
        """Bring back a soft-deleted customer with everything attached to it."""
        customer = selectors.deleted_customer_get(request.user, int(pk))
        restored = services.customer_restore(user=request.user, customer=customer)
        return Response(self.represent(restored))


# --- things that hang off a customer ------------------------------------------------


def _visible_customers(request: HttpRequest | None) -> QuerySet[Customer]:
    # Filtering by a customer the caller cannot see is a 400, like a missing id.
    if request is None:
        return Customer.objects.none()
    return selectors.visible_customers(request.user)


class ContactFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_visible_customers)
    decision_role = django_filters.ChoiceFilter(choices=choices.DecisionRole.choices)
    is_key_person = django_filters.BooleanFilter()

    class Meta:
        model = Contact
        fields = ["customer", "decision_role", "is_key_person"]


class InteractionFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_visible_customers)
    channel = django_filters.ChoiceFilter(choices=choices.Channel.choices)
    content_type = django_filters.ChoiceFilter(choices=choices.ContentType.choices)
    occurred_at = django_filters.DateFromToRangeFilter(
        help_text=_("occurred_at_after / occurred_at_before: YYYY-MM-DD, inclusive days.")
    )

    class Meta:
        model = Interaction
        fields = ["customer", "channel", "content_type", "occurred_at"]


class OrderFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_visible_customers)
    ordered_on = django_filters.DateFromToRangeFilter(
        help_text=_("ordered_on_after / ordered_on_before: YYYY-MM-DD, inclusive.")
    )
    amount = django_filters.RangeFilter(help_text=_("amount_min / amount_max, inclusive."))

    class Meta:
        model = Order
        fields = ["customer", "ordered_on", "amount"]


class NeedFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=_visible_customers)
    status = django_filters.ChoiceFilter(choices=choices.NeedStatus.choices)
    urgency = django_filters.ChoiceFilter(choices=choices.Level.choices)
    importance = django_filters.ChoiceFilter(choices=choices.Level.choices)

    class Meta:
        model = Need
        fields = ["customer", "status", "urgency", "importance"]


@crud_schema(ContactSerializer, tag="contacts")
class ContactViewSet(ServiceViewSet):
    """Contacts of the customers the caller may see, newest first. Filter by
    `customer`, `decision_role`, `is_key_person`. The customer is fixed once created."""

    serializer_class = ContactSerializer
    update_serializer_class = ContactUpdateSerializer
    filterset_class = ContactFilter

    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.visible_contacts(self.request.user)

    def service_create(self, data: dict[str, Any]) -> Contact:
        customer = data.pop("customer")
        return services.contact_create(user=self.request.user, customer=customer, data=data)

    def service_update(self, instance: Contact, *, version: int, data: dict) -> Contact:
        return services.contact_update(
            user=self.request.user, contact=instance, version=version, data=data
        )

    def service_delete(self, instance: Contact) -> None:
        services.contact_delete(user=self.request.user, contact=instance)


@crud_schema(InteractionSerializer, tag="interactions")
class InteractionViewSet(ServiceViewSet):
    """Interactions with the customers the caller may see, latest first. Filter by
    `customer`, `channel`, `content_type` and `occurred_at_after`/`occurred_at_before`.
    `owner` is the caller who logged it."""

    serializer_class = InteractionSerializer
    update_serializer_class = InteractionUpdateSerializer
    filterset_class = InteractionFilter
    cursor_ordering = ("-occurred_at", "-id")

    def get_queryset(self) -> QuerySet[Interaction]:
        return selectors.visible_interactions(self.request.user)

    def service_create(self, data: dict[str, Any]) -> Interaction:
        customer = data.pop("customer")
        return services.interaction_create(user=self.request.user, customer=customer, data=data)

    def service_update(self, instance: Interaction, *, version: int, data: dict) -> Interaction:
        return services.interaction_update(
            user=self.request.user, interaction=instance, version=version, data=data
        )

    def service_delete(self, instance: Interaction) -> None:
        services.interaction_delete(user=self.request.user, interaction=instance)


@crud_schema(OrderSerializer, tag="orders")
class OrderViewSet(ServiceViewSet):
    """Orders of the customers the caller may see, latest order date first. Filter
    by `customer`, `ordered_on_after`/`ordered_on_before`, `amount_min`/`amount_max`."""

    serializer_class = OrderSerializer
    update_serializer_class = OrderUpdateSerializer
    filterset_class = OrderFilter
    cursor_ordering = ("-ordered_on", "-id")

    def get_queryset(self) -> QuerySet[Order]:
        return selectors.visible_orders(self.request.user)

    def service_create(self, data: dict[str, Any]) -> Order:
        customer = data.pop("customer")
        return services.order_create(user=self.request.user, customer=customer, data=data)

    def service_update(self, instance: Order, *, version: int, data: dict) -> Order:
        return services.order_update(
            user=self.request.user, order=instance, version=version, data=data
        )

    def service_delete(self, instance: Order) -> None:
        services.order_delete(user=self.request.user, order=instance)


@crud_schema(NeedSerializer, tag="needs")
class NeedViewSet(ServiceViewSet):
    """Needs of the customers the caller may see, newest first. Filter by `customer`,
    `status`, `urgency`, `importance`. `owner` (responsible) is the caller who
    created it."""

    serializer_class = NeedSerializer
    update_serializer_class = NeedUpdateSerializer
    filterset_class = NeedFilter

    def get_queryset(self) -> QuerySet[Need]:
        return selectors.visible_needs(self.request.user)

    def service_create(self, data: dict[str, Any]) -> Need:
        customer = data.pop("customer")
        return services.need_create(user=self.request.user, customer=customer, data=data)

    def service_update(self, instance: Need, *, version: int, data: dict) -> Need:
        return services.need_update(
            user=self.request.user, need=instance, version=version, data=data
        )

    def service_delete(self, instance: Need) -> None:
        services.need_delete(user=self.request.user, need=instance)
