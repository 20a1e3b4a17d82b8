"""API shapes of customers and what hangs off them.

Shape validation only (types, lengths, choices, which relations the caller may
name); domain rules live in services. Every serializer lists its writable fields
explicitly; version, number, deleted_*, timestamps and history are never
writable (`version` is *sent* on updates to detect stale writes, never stored
from input).
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.accounts.models import User
from guanxi.accounts.serializers import UserRefField
from guanxi.accounts.visibility import reachable_owner_ids_q
from guanxi.core.api import RefField, VersionedUpdateSerializerMixin

from . import selectors
from .models import Contact, Customer, Interaction, Need, Order, Tag

TIMESTAMPS = ["version", "created_at", "updated_at"]
# `version` is declared on each serializer (read-only; writable on the update
# serializers), so only the model-generated read-only fields are listed here.
STAMPS_READ_ONLY = ["id", "created_at", "updated_at"]

# --- references ---------------------------------------------------------------


class TagRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color"]
        read_only_fields = fields


class CustomerRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "number", "name"]
        read_only_fields = fields


class ContactRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name"]
        read_only_fields = fields


def _user(field: serializers.Field) -> User | None:
    request = field.context.get("request")
    return getattr(request, "user", None)


class OwnerField(UserRefField):
    """Any user id is accepted here; whether the caller may give the customer to
    that user is the service's rule (a rep only to themselves, a manager within
    their teams) and answers 400 on `owner`. The browsable API's picker offers
    only the users the caller may assign to."""

    def get_choices_queryset(self) -> QuerySet | None:
        user = _user(self)
        if user is None or not user.is_authenticated:
            return User.objects.none()
        return User.objects.filter(is_active=True).filter(reachable_owner_ids_q(user))


class VisibleCustomerField(RefField):
    """A customer id the caller may see. An out-of-reach id fails with the same
    message as a nonexistent one."""

    ref_serializer_class = CustomerRefSerializer

    def get_queryset(self) -> QuerySet[Customer]:
        user = _user(self)
        if user is None:
            return Customer.objects.none()
        return selectors.visible_customers(user)


class VisibleContactField(RefField):
    ref_serializer_class = ContactRefSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        user = _user(self)
        if user is None:
            return Contact.objects.none()
        return selectors.visible_contacts(user)


# --- customers ------------------------------------------------------------------

CUSTOMER_WRITABLE = [
    "name",
    "external_id",
    "owner",
    "tags",
    "industry",
    "size_band",
    "annual_revenue",
    "address",
    "city",
    "website",
    "phone",
    "source",
    "stage",
    "lost_reason",
    "is_strategic",
    "pain_points",
    "purchase_needs",
    "budget_min",
    "budget_max",
    "decision_process",
    "urgency",
    "potential_class",
    "focus",
    "preferred_channel",
    "cooperation_history",
    "satisfaction",
    "contract_status",
    "notes",
    "verified_by_website",
    "verified_by_phone",
]
CUSTOMER_READ_ONLY = ["number", "profile_updated_at", *STAMPS_READ_ONLY]


class CustomerScoreSummarySerializer(serializers.Serializer):
    """The customer's current classification; details and reasons live at /scores/{id}/."""

    standard_version = serializers.IntegerField()
    as_of = serializers.DateField()
    value_tier = serializers.CharField()
    potential_tier = serializers.CharField()
    matrix = serializers.CharField()
    r = serializers.IntegerField(allow_null=True)
    f = serializers.IntegerField(allow_null=True)
    m = serializers.IntegerField(allow_null=True)
    rfm_segment = serializers.CharField()
    four_class = serializers.CharField()
    health_score = serializers.IntegerField(allow_null=True)
    health_grade = serializers.CharField()
    lead_score = serializers.IntegerField()
    lead_grade = serializers.CharField()
    lifecycle = serializers.CharField()
    credit_rating = serializers.CharField()
    pyramid = serializers.CharField()
    abc = serializers.CharField()


class CustomerSerializer(serializers.ModelSerializer):
    owner = OwnerField(
        queryset=User.objects.all(),
        required=False,
        help_text=_(
            "User id; defaults to the caller. Reps may only own; managers assign "
            "within their teams."
        ),
    )
    tags = RefField(
        ref_serializer_class=TagRefSerializer,
        queryset=Tag.objects.all(),
        many=True,
        required=False,
        help_text=_("Tag ids."),
    )
    collaborators = UserRefField(many=True, read_only=True)
    composite_label = serializers.CharField(
        read_only=True, help_text=_("e.g. [制造业]-[产能扩张需求]-[A类客户]")
    )
    version = serializers.IntegerField(read_only=True)
    scores = serializers.SerializerMethodField()
    maturity = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "number",
            "version",
            *CUSTOMER_WRITABLE,
            "composite_label",
            "collaborators",
            "scores",
            "maturity",
            "profile_updated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = CUSTOMER_READ_ONLY

    def validate_external_id(self, value: str | None) -> str | None:
        """Blank means none (the uniqueness only binds ids that are set)."""
        value = (value or "").strip() or None
        if value is not None:
            clash = Customer.objects.filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(_("Another customer has this external ID."))
        return value

    @extend_schema_field(CustomerScoreSummarySerializer(allow_null=True))
    def get_scores(self, obj: Customer) -> dict[str, Any] | None:
        score = getattr(obj, "score", None)
        return CustomerScoreSummarySerializer(score).data if score is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_maturity(self, obj: Customer) -> str | None:
        state = getattr(obj, "maturity", None)
        return state.value if state is not None else None


class CustomerUpdateSerializer(VersionedUpdateSerializerMixin, CustomerSerializer):
    pass


# --- things that hang off a customer --------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField(help_text=_("Customer id; fixed once created."))
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "title",
            "phone",
            "email",
            "wechat",
            "decision_role",
            "is_key_person",
            "preferences",
            "notes",
            *TIMESTAMPS,
        ]
        read_only_fields = STAMPS_READ_ONLY


class ContactUpdateSerializer(VersionedUpdateSerializerMixin, ContactSerializer):
    # Moving a record to another customer is not an edit: create it there instead.
    customer = VisibleCustomerField(read_only=True)


class InteractionSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField(help_text=_("Customer id; fixed once created."))
    contact = VisibleContactField(
        required=False, allow_null=True, help_text=_("Contact id of the same customer.")
    )
    owner = UserRefField(read_only=True, help_text=_("Who logged it: the caller."))
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "contact",
            "occurred_at",
            "channel",
            "content_type",
            "summary",
            "feedback",
            "next_action",
            "next_action_due",
            "owner",
            *TIMESTAMPS,
        ]
        read_only_fields = STAMPS_READ_ONLY
        extra_kwargs = {"occurred_at": {"required": False, "help_text": _("Defaults to now.")}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        # Referential shape: the contact must be one of this customer's contacts.
        contact = attrs.get("contact")
        customer = attrs.get("customer") or getattr(self.instance, "customer", None)
        if contact is not None and customer is not None and contact.customer_id != customer.pk:
            raise serializers.ValidationError(
                {"contact": [_("This contact belongs to another customer.")]}
            )
        return attrs


class InteractionUpdateSerializer(VersionedUpdateSerializerMixin, InteractionSerializer):
    customer = VisibleCustomerField(read_only=True)


class OrderSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField(help_text=_("Customer id; fixed once created."))
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = Order
        # `number` here is the order's own reference (from the ERP or the paper
        # order), typed by people; unlike the customer number it is not generated.
        fields = [
            "id",
            "customer",
            "number",
            "ordered_on",
            "amount",
            "gross_margin",
            "product_line",
            "quantity",
            *TIMESTAMPS,
        ]
        read_only_fields = STAMPS_READ_ONLY


class OrderUpdateSerializer(VersionedUpdateSerializerMixin, OrderSerializer):
    customer = VisibleCustomerField(read_only=True)


class NeedSerializer(serializers.ModelSerializer):
    customer = VisibleCustomerField(help_text=_("Customer id; fixed once created."))
    owner = UserRefField(read_only=True, help_text=_("Responsible: the caller who created it."))
    priority = serializers.ChoiceField(
        choices=["urgent_important", "important", "urgent", "normal"],
        read_only=True,
        help_text=_("Quadrant of urgency × importance."),
    )
    version = serializers.IntegerField(read_only=True)

    class Meta:
        model = Need
        fields = [
            "id",
            "customer",
            "description",
            "urgency",
            "importance",
            "priority",
            "matched_solution",
            "status",
            "owner",
            "expected_finish",
            "actual_finish",
            *TIMESTAMPS,
        ]
        read_only_fields = STAMPS_READ_ONLY


class NeedUpdateSerializer(VersionedUpdateSerializerMixin, NeedSerializer):
    customer = VisibleCustomerField(read_only=True)
