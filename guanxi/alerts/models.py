"""Alerts (reminders and warnings), their rule configuration and per-user inbox state.

Definitions of each rule: docs/alerts.md.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.TextChoices):
    REPURCHASE_DUE = "repurchase_due", _("Repurchase due")
    CHURN_NO_ACTIVITY = "churn_no_activity", _("Churn warning: no activity")
    CHURN_FREQUENCY = "churn_frequency", _("Churn warning: order frequency falling")
    DORMANT = "dormant", _("Dormant: wake-up call")
    REACTIVATION = "reactivation", _("Reactivate ordinary customer")
    INTERACTION_NOT_LOGGED = "interaction_not_logged", _("Planned follow-up not logged")
    PROFILE_STALE = "profile_stale", _("Profile not updated")


class Status(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class AlertRule(models.Model):
    """Configuration of one rule: on/off and thresholds (validated by `rules.validate_params`)."""

    key = models.CharField(_("rule"), max_length=32, choices=Rule.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["key"]

    def __str__(self) -> str:
        return str(self.get_key_display())

    def clean(self) -> None:
        from .rules import validate_params

        try:
            self.params = validate_params(self.key, self.params)
        except ValidationError as exc:
            raise ValidationError({"params": exc.messages}) from exc


class Alert(models.Model):
    """One cause instance of one rule for one customer; open while the cause lasts."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    rule = models.CharField(_("rule"), max_length=32, choices=Rule.choices)
    cause_key = models.CharField(_("cause"), max_length=64)
    ref_on = models.DateField(_("reference date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # dedupe: the job inserts with ON CONFLICT DO NOTHING on this key
            models.UniqueConstraint(
                fields=["customer", "rule", "cause_key"], name="alert_customer_rule_cause"
            ),
        ]
        indexes = [
            # the job's close/reopen UPDATE per rule; inbox filter by rule + status
            models.Index(fields=["rule", "status"], name="alert_rule_status"),
            # inbox and unread badge: open alerts newest first; digest: opened since
            models.Index(fields=["status", "-opened_at"], name="alert_status_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.customer_id} · {self.cause_key}"


class AlertReceipt(models.Model):
    """What one user did with one alert: read and/or dismissed (per user, not global)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert receipt")
        verbose_name_plural = _("alert receipts")
        constraints = [
            # one receipt per user and alert; also serves "unread for user" (EXISTS on user, alert)
            models.UniqueConstraint(fields=["user", "alert"], name="alert_receipt_user_alert"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.alert_id}"


class NotificationPreference(models.Model):
    """Per-user notification settings; a missing row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    digest_enabled = models.BooleanField(_("morning email digest"), default=True)
    muted_rules = models.JSONField(_("rules that do not notify"), default=list, blank=True)
    last_digest_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user_id)


class PurchaseCycle(models.Model):
    """A purchase cycle set by hand (e.g. quarterly = 90); overrides the learned one."""

    customer = models.OneToOneField(
        "customers.Customer",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="purchase_cycle",
    )
    days = models.PositiveIntegerField(_("purchase cycle (days)"))

    class Meta:
        verbose_name = _("purchase cycle")
        verbose_name_plural = _("purchase cycles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days__gte=1) & models.Q(days__lte=3650),
                name="purchase_cycle_days_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.days}"
