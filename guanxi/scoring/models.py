"""Classification standards, computed scores, their history, maturity and credit inputs.

No domain rule lives here: scores come from `rules.py` via `recompute.py`,
writes go through `services.py`.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.fields import RowIdOneToOneField

from . import choices
from .models_facts import CustomerFacts, FactsChange

__all__ = ["CustomerFacts", "FactsChange"]


class ClassificationStandard(models.Model):
    """One version of the classification standard (分类标准). Activated versions are
    frozen; a change is a new version, so every score names the rules it used."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    config = models.JSONField(_("configuration"))
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("activated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_due_on = models.DateField(_("review due"), null=True, blank=True)

    class Meta:
        verbose_name = _("classification standard")
        verbose_name_plural = _("classification standards")
        ordering = ["-version"]
        constraints = [
            # the active standard: at most one
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="scoring_one_active_standard",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"


class ScoringRun(models.Model):
    """A full recompute: when, as of which date, under which standard, and the
    population cut-offs it used (reused by incremental recomputes)."""

    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    as_of = models.DateField(_("reference date"))
    standard_version = models.PositiveIntegerField(_("standard version"))
    status = models.CharField(
        _("status"), max_length=8, choices=choices.RunStatus.choices, default="running"
    )
    trigger = models.CharField(_("trigger"), max_length=40, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    # "" for runs before stored facts existed (a nightly run cannot build on them)
    mode = models.CharField(
        _("mode"), max_length=8, choices=choices.RunMode.choices, blank=True, default=""
    )
    rescored = models.PositiveIntegerField(_("customers rescored"), default=0)
    changes = models.PositiveIntegerField(_("changes"), default=0)
    cutoffs = models.JSONField(_("population cut-offs"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-id"]
        indexes = [
            # latest completed run of a standard: cut-offs for recompute_customer
            models.Index(fields=["standard_version", "status", "-id"], name="scoring_run_latest"),
        ]

    def __str__(self) -> str:
        return _("run %(id)s as of %(date)s (%(status)s)") % {
            "id": self.pk,
            "date": self.as_of,
            "status": self.get_status_display(),
        }


class CustomerScore(models.Model):
    """The current scores of one customer, with the reasons behind each."""

    customer = RowIdOneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
    )
    standard_version = models.PositiveIntegerField(_("standard version"))
    as_of = models.DateField(_("reference date"))
    computed_at = models.DateTimeField(_("computed at"))
    # facts shown with the scores
    sales = models.DecimalField(_("12-month sales"), max_digits=18, decimal_places=2)
    profit = models.DecimalField(_("12-month gross profit"), max_digits=18, decimal_places=2)
    margin = models.DecimalField(
        _("gross margin (%)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    frequency = models.IntegerField(_("order days in the window"), default=0)
    interactions_recent = models.IntegerField(_("recent interactions"), default=0)
    last_order_on = models.DateField(_("last order"), null=True, blank=True)
    last_interaction_on = models.DateField(_("last interaction"), null=True, blank=True)
    # scores ("" = not assessed, e.g. no orders yet)
    value_tier = models.CharField(
        _("value tier"), max_length=16, choices=choices.ValueTier.choices, blank=True
    )
    potential_score = models.SmallIntegerField(_("potential score"), default=0)
    potential_tier = models.CharField(
        _("potential tier"), max_length=8, choices=choices.PotentialTier.choices, blank=True
    )
    matrix = models.CharField(
        _("value × potential"), max_length=20, choices=choices.Matrix.choices, blank=True
    )
    r = models.SmallIntegerField(_("R"), null=True, blank=True)
    f = models.SmallIntegerField(_("F"), null=True, blank=True)
    m = models.SmallIntegerField(_("M"), null=True, blank=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=20, choices=choices.RfmSegment.choices, blank=True
    )
    four_class = models.CharField(
        _("customer class"), max_length=12, choices=choices.FourClass.choices, blank=True
    )
    four_class_exact = models.BooleanField(_("all class conditions met"), null=True, blank=True)
    health_score = models.SmallIntegerField(_("health score"), null=True, blank=True)
    health_grade = models.CharField(
        _("health grade"), max_length=12, choices=choices.HealthGrade.choices, blank=True
    )
    health_problem = models.CharField(
        _("main problem"), max_length=20, choices=choices.HealthProblem.choices, blank=True
    )
    next_evaluation_on = models.DateField(_("next evaluation"), null=True, blank=True)
    lead_score = models.SmallIntegerField(_("lead score"), default=0)
    lead_grade = models.CharField(
        _("lead grade"), max_length=16, choices=choices.LeadGrade.choices, blank=True
    )
    lead_qualified = models.BooleanField(_("qualified lead"), default=False)
    lifecycle = models.CharField(
        _("lifecycle stage"), max_length=12, choices=choices.Lifecycle.choices, blank=True
    )
    credit_rating = models.CharField(
        _("credit rating"), max_length=1, choices=choices.CreditRating.choices, blank=True
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=18, decimal_places=2, default=0
    )
    payment_term_days = models.SmallIntegerField(_("payment term (days)"), default=0)
    pyramid = models.CharField(
        _("pyramid level"), max_length=8, choices=choices.PyramidLevel.choices, blank=True
    )
    abc = models.CharField(
        _("ABC class"), max_length=1, choices=choices.AbcClass.choices, blank=True
    )
    reasons = models.JSONField(_("reasons"), default=dict)

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [
            # classification list / dashboards: counts and lists per matrix label
            models.Index(fields=["matrix"], name="score_matrix"),
            # health distribution and "at risk" lists
            models.Index(fields=["health_grade"], name="score_health"),
            # lifecycle lists (dormant / churned warnings)
            models.Index(fields=["lifecycle"], name="score_lifecycle"),
            # quarterly evaluation agenda: customers due for evaluation by date
            models.Index(fields=["next_evaluation_on"], name="score_next_eval"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.matrix or '-'}"

    @property
    def health_action(self):
        return choices.HEALTH_ACTIONS.get(self.health_problem, "")


class ScoreChange(models.Model):
    """Every change of a tier, grade, class or rating: when, from, to and why."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="score_changes",
    )
    dimension = models.CharField(_("dimension"), max_length=16, choices=choices.Dimension.choices)
    from_value = models.CharField(_("from"), max_length=20, blank=True)
    to_value = models.CharField(_("to"), max_length=20, blank=True)
    changed_at = models.DateTimeField(_("changed at"))
    as_of = models.DateField(_("reference date"))
    cause = models.CharField(_("cause"), max_length=8, choices=choices.ChangeCause.choices)
    standard_version = models.PositiveIntegerField(_("standard version"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.JSONField(_("reason"), default=dict)

    class Meta:
        verbose_name = _("score change")
        verbose_name_plural = _("score changes")
        ordering = ["-changed_at", "-id"]
        indexes = [
            # history on the customer page, newest first
            models.Index(fields=["customer", "-changed_at"], name="scorechange_customer"),
            # movements report: who moved between tiers in a period
            models.Index(fields=["dimension", "changed_at"], name="scorechange_dimension"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.dimension}: {self.from_value} → {self.to_value}"


class CustomerMaturity(models.Model):
    """The maturity class (成熟度) of a customer: set by a rep, moved by data."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="maturity",
    )
    value = models.CharField(_("maturity class"), max_length=2, choices=choices.Maturity.choices)
    since = models.DateTimeField(_("since"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    promise_made_on = models.DateField(_("promise made on"), null=True, blank=True)
    promised_payment_on = models.DateField(_("promised payment date"), null=True, blank=True)

    class Meta:
        verbose_name = _("maturity class")
        verbose_name_plural = _("maturity classes")
        indexes = [
            # call list and manager stock: customers per maturity class
            models.Index(fields=["value"], name="maturity_value"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.value}"


class CreditProfile(models.Model):
    """Inputs of the credit rating that orders do not carry (seed 004)."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="credit_profile",
    )
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=choices.PaymentMethod.choices, blank=True
    )
    monthly_plan = models.DecimalField(
        _("planned monthly sales (CNY)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit profile")
        verbose_name_plural = _("credit profiles")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.payment_method}"
