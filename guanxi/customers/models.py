"""Customer, Contact, Tag, Interaction, Order, Need (SPEC §2–§4, §8)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from guanxi.core.expressions import EpochDay
from guanxi.core.models import SoftDeleteModel, SoftDeleteQuerySet, VersionedModel

from . import choices

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-()]{5,30}$",
    _("Enter a valid phone number: digits, spaces, dashes, an optional leading +."),
)
positive_money = MinValueValidator(Decimal("0"), _("The amount cannot be negative."))


class CustomerQuerySet(SoftDeleteQuerySet):
    def visible_to(self, user) -> "CustomerQuerySet":
        """The one visibility rule: the customers `user` may see (alive ones)."""
        from guanxi.accounts.visibility import customer_visibility_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        qs = self.alive()
        q = customer_visibility_q(user)
        return qs if q is None else qs.filter(q)


class CustomerManager(models.Manager.from_queryset(CustomerQuerySet)):
    pass


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    color = models.CharField(_("color"), max_length=16, default="secondary")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(VersionedModel, SoftDeleteModel):
    number = models.CharField(_("customer number"), max_length=20, unique=True, editable=False)
    name = models.CharField(_("company name"), max_length=200)
    industry = models.CharField(
        _("industry"), max_length=32, choices=choices.Industry.choices, blank=True
    )
    size_band = models.CharField(
        _("company size"), max_length=16, choices=choices.SizeBand.choices, blank=True
    )
    annual_revenue = models.DecimalField(
        _("annual revenue (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[positive_money],
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])
    source = models.CharField(
        _("lead source"), max_length=16, choices=choices.Source.choices, default="other"
    )
    stage = models.CharField(
        _("funnel stage"), max_length=16, choices=choices.Stage.choices, default="lead"
    )
    lost_reason = models.CharField(_("lost reason"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_customers",
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collaborators"),
        through="CustomerCollaborator",
        related_name="collaborating_customers",
        blank=True,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    is_strategic = models.BooleanField(_("strategic customer"), default=False)
    # Needs profile
    pain_points = models.TextField(_("pain points"), blank=True, max_length=5000)
    purchase_needs = models.TextField(_("purchase needs"), blank=True, max_length=5000)
    budget_min = models.DecimalField(
        _("budget from"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[positive_money],
    )
    budget_max = models.DecimalField(
        _("budget to"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[positive_money],
    )
    decision_process = models.TextField(_("decision process"), blank=True, max_length=5000)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=choices.Level.choices, blank=True
    )
    potential_class = models.CharField(
        _("potential class"), max_length=1, choices=choices.PotentialClass.choices, blank=True
    )
    # Behaviour
    focus = models.CharField(_("focus"), max_length=16, choices=choices.Focus.choices, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=choices.Channel.choices, blank=True
    )
    cooperation_history = models.TextField(_("cooperation history"), blank=True, max_length=5000)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    contract_status = models.CharField(
        _("contract status"),
        max_length=16,
        choices=choices.ContractStatus.choices,
        default="none",
    )
    notes = models.TextField(_("notes"), blank=True, max_length=20000)
    # Verification of key facts (seed 001 §4.4)
    verified_by_website = models.BooleanField(_("verified by website"), default=False)
    verified_by_phone = models.BooleanField(_("verified by phone"), default=False)
    profile_updated_at = models.DateTimeField(_("last profile update"), null=True, blank=True)
    # Import and matching (dataio, customers/matching.py). Nullable without default so
    # adding them is an ALTER TABLE on SQLite, not a table rebuild that drops triggers.
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True)
    name_key = models.CharField(max_length=200, null=True, blank=True, editable=False)
    phone_key = models.CharField(max_length=32, null=True, blank=True, editable=False)

    objects = CustomerManager()
    history = HistoricalRecords(
        excluded_fields=["updated_at", "name_key", "phone_key"], m2m_fields=[tags]
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            # customer list of one rep, newest first (keyset pagination on id)
            models.Index(fields=["owner", "-id"], name="cust_owner_id"),
            # filters on the list page combined with the owner scope
            models.Index(fields=["owner", "stage"], name="cust_owner_stage"),
            models.Index(fields=["owner", "industry"], name="cust_owner_industry"),
            # list sorted by name (name search on PostgreSQL uses the trigram index)
            models.Index(fields=["name"], name="cust_name"),
            # duplicate matching (customers/matching.py): IN (...) on normalised keys
            models.Index(fields=["name_key"], name="cust_name_key"),
            models.Index(fields=["phone_key"], name="cust_phone_key"),
            # scoring nightly run: customers created since the last run's reference date
            models.Index(fields=["created_at"], name="cust_created"),
        ]
        constraints = [
            # import upsert key; partial so that many customers have none
            models.UniqueConstraint(
                fields=["external_id"],
                condition=models.Q(external_id__isnull=False),
                name="cust_external_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(budget_min__isnull=True)
                | models.Q(budget_max__isnull=True)
                | models.Q(budget_min__lte=models.F("budget_max")),
                name="cust_budget_range",
                violation_error_message=_("The budget's lower bound exceeds its upper bound."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    def save(self, *args, **kwargs) -> None:
        # Derived matching keys only (no domain rule): every save keeps them current;
        # bulk writers set them themselves or leave NULL for matching.keys_backfill.
        from .matching import company_key, phone_key

        self.name_key, self.phone_key = company_key(self.name), phone_key(self.phone)
        fields = kwargs.get("update_fields")
        if fields is not None and {"name", "phone"} & set(fields):
            kwargs["update_fields"] = {*fields, "name_key", "phone_key"}
        super().save(*args, **kwargs)

    @property
    def composite_label(self) -> str:
        """Label like [制造业]-[产能扩张需求]-[A类客户] built from the profile and tags."""
        parts = []
        if self.industry:
            parts.append(str(self.get_industry_display()))
        parts.extend(t.name for t in self.tags.all())
        if self.potential_class:
            parts.append(str(self.get_potential_class_display()))
        return "-".join(f"[{p}]" for p in parts)


class CustomerCollaborator(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collaborator"), on_delete=models.CASCADE
    )

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="collab_unique"),
        ]
        # visibility rule: EXISTS(customer=?, user=?) and "customers I collaborate on"
        indexes = [models.Index(fields=["user", "customer"], name="collab_user_customer")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.customer_id}"


class OwnershipChange(models.Model):
    """Kept forever: who owned a customer when, and who moved it (seed 001 §1)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="ownership_log"
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous owner"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new owner"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ownership change")
        verbose_name_plural = _("ownership changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_owner_id} → {self.to_owner_id}"


class NumberSequence(models.Model):
    """Monthly counters behind customer numbers like C202405001."""

    key = models.CharField(max_length=16, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class Contact(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=80)
    title = models.CharField(_("job title"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[phone_validator])
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    decision_role = models.CharField(
        _("role in decision"), max_length=16, choices=choices.DecisionRole.choices, blank=True
    )
    is_key_person = models.BooleanField(_("key person (KP)"), default=False)
    preferences = models.CharField(_("preferences"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    # duplicate matching keys (customers/matching.py), kept by save()
    phone_key = models.CharField(max_length=32, null=True, blank=True, editable=False)
    email_key = models.CharField(max_length=254, null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "phone_key", "email_key"])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_key_person", "name", "id"]
        indexes = [
            # duplicate matching and lead capture: IN (...) on normalised keys
            models.Index(fields=["phone_key"], name="contact_phone_key"),
            models.Index(fields=["email_key"], name="contact_email_key"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        from .matching import email_key, phone_key

        self.phone_key, self.email_key = phone_key(self.phone), email_key(self.email)
        fields = kwargs.get("update_fields")
        if fields is not None and {"phone", "email"} & set(fields):
            kwargs["update_fields"] = {*fields, "phone_key", "email_key"}
        super().save(*args, **kwargs)


class Interaction(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    occurred_at = models.DateTimeField(_("time"))
    channel = models.CharField(_("channel"), max_length=16, choices=choices.Channel.choices)
    content_type = models.CharField(
        _("content type"), max_length=16, choices=choices.ContentType.choices, default="value"
    )
    summary = models.TextField(_("summary"), max_length=5000)
    feedback = models.TextField(_("customer feedback / need change"), blank=True, max_length=5000)
    next_action = models.CharField(_("next action"), max_length=300, blank=True)
    next_action_due = models.DateField(_("next action due"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # customer timeline, newest first; last-contact aggregates
            models.Index(fields=["customer", "-occurred_at"], name="inter_customer_time"),
            # a rep's activity per day (daily report)
            models.Index(fields=["owner", "occurred_at"], name="inter_owner_time"),
            # scoring nightly run: interactions that crossed the interaction window's edges
            models.Index(fields=["occurred_at"], name="inter_time"),
            # alerts: planned follow-ups not logged (only rows that plan one)
            models.Index(
                fields=["next_action_due"],
                name="inter_next_action_due",
                condition=models.Q(next_action_due__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class Order(VersionedModel):
    # Indexed by order_customer_cover below (customer first), not by an index of its own.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="orders",
        db_index=False,
    )
    number = models.CharField(_("order number"), max_length=40, blank=True)
    ordered_on = models.DateField(_("order date"))
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=16, decimal_places=2, validators=[positive_money]
    )
    gross_margin = models.DecimalField(
        _("gross margin (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    product_line = models.CharField(_("product line"), max_length=80, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    # Kept by the database from the three fields above, for the scoring run's pass over
    # every order (scoring/facts.py): integers it can compare and sum without
    # converting dates and decimals once per order and per aggregate.
    ordered_day = models.GeneratedField(
        expression=EpochDay("ordered_on"),
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("order day number"),
    )
    amount_cents = models.GeneratedField(
        expression=Cast(Round(F("amount") * 100), models.BigIntegerField()),
        output_field=models.BigIntegerField(),
        db_persist=True,
        verbose_name=_("amount in cents"),
    )
    margin_bp = models.GeneratedField(
        expression=Cast(Round(F("gross_margin") * 100), models.IntegerField()),
        output_field=models.IntegerField(null=True),
        db_persist=True,
        verbose_name=_("gross margin in basis points"),
    )

    history = HistoricalRecords(
        excluded_fields=["updated_at", "ordered_day", "amount_cents", "margin_bp"]
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        indexes = [
            # orders of one customer by date: RFM, repurchase cycle, customer page. On
            # PostgreSQL it also carries the integer money columns, so the scoring run
            # reads a customer's order facts from the index alone (no heap visit per
            # order, no decimal converted per order).
            models.Index(
                fields=["customer", "ordered_on"],
                include=["amount_cents", "margin_bp"],
                name="order_customer_cover",
            ),
            # period reports (sales in a month/quarter)
            models.Index(fields=["ordered_on"], name="order_date"),
            # import upsert by order number (dataio/upsert_children.py)
            models.Index(fields=["number"], name="order_number"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="order_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.ordered_on} ¥{self.amount}"


class Need(VersionedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="needs"
    )
    description = models.TextField(_("description"), max_length=5000)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=choices.Level.choices, default="medium"
    )
    importance = models.CharField(
        _("importance"), max_length=8, choices=choices.Level.choices, default="medium"
    )
    matched_solution = models.TextField(_("matched solution"), blank=True, max_length=5000)
    status = models.CharField(
        _("status"), max_length=16, choices=choices.NeedStatus.choices, default="not_started"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="needs",
    )
    expected_finish = models.DateField(_("expected finish"), null=True, blank=True)
    actual_finish = models.DateField(_("actual finish"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["status", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="need_customer_status")]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def priority(self) -> str:
        """Quadrant of urgency × importance (seed 001 §3)."""
        urgent = self.urgency == "high"
        important = self.importance == "high"
        if urgent and important:
            return "urgent_important"
        if important:
            return "important"
        if urgent:
            return "urgent"
        return "normal"
