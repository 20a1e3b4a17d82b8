"""Cadence rules, working calendar, next follow-up per customer and daily call lists.

No domain rule lives here: validation is in `services.py`, computation in the pure
modules `cadence.py` and `priority.py`, set-based writes in `recompute.py` and
`calllist.py`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.scoring.choices import Maturity

from . import choices


class WorkCalendarDay(models.Model):
    """An exception to the weekly rhythm: a public holiday (is_working=False) or a
    make-up working day (is_working=True, 调休上班). Edited per year."""

    day = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'+' if self.is_working else '-'}"


class CadenceRule(models.Model):
    """How often a customer in a scope gets a touch. Blank scope fields match any
    customer; the most specific active rule per touch applies (docs/followup.md)."""

    maturity = models.CharField(
        _("maturity class"), max_length=2, choices=Maturity.choices, blank=True
    )
    segment = models.CharField(_("segment"), max_length=24, blank=True)
    age_band = models.CharField(
        _("relationship age"), max_length=12, choices=choices.AgeBand.choices, blank=True
    )
    touch = models.CharField(
        _("touch"), max_length=12, choices=choices.Touch.choices, default="call"
    )
    cycle_min = models.PositiveSmallIntegerField(_("cycle from"))
    cycle_max = models.PositiveSmallIntegerField(_("cycle to"))
    unit = models.CharField(
        _("unit"), max_length=8, choices=choices.CycleUnit.choices, default="workday"
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        ordering = ["maturity", "segment", "age_band", "touch", "id"]
        constraints = [
            # overlapping rules: one active rule per scope and touch
            models.UniqueConstraint(
                fields=["maturity", "segment", "age_band", "touch"],
                condition=models.Q(is_active=True),
                name="followup_cadence_one_per_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(cycle_min__gt=0)
                & models.Q(cycle_max__gte=models.F("cycle_min")),
                name="followup_cadence_positive_cycle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.maturity or '*'}/{self.segment or '*'}/{self.age_band or '*'} {self.touch}"


class FollowUp(models.Model):
    """The next follow-up of one customer: due from `next_due`, overdue after
    `deadline`; written in bulk by recompute.py, one row per customer."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="followup"
    )
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    next_due = models.DateField(_("next follow-up"))
    deadline = models.DateField(_("follow-up deadline"))
    touch = models.CharField(_("touch"), max_length=12, choices=choices.Touch.choices)
    rule = models.ForeignKey(
        CadenceRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            # /api/v1/followups/?overdue=true and the call-list build (deadline < day)
            models.Index(fields=["deadline"], name="followup_deadline"),
            # call-list build: customers due on a day (next_due <= day)
            models.Index(fields=["next_due"], name="followup_next_due"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.next_due}"


class RepCapacity(models.Model):
    """Daily call capacity of a rep (0 = on leave) and the golden-hour split."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_capacity"
    )
    capacity = models.PositiveSmallIntegerField(_("calls per day"), default=60)
    am_golden = models.PositiveSmallIntegerField(_("morning golden-hour calls"), default=15)
    pm_golden = models.PositiveSmallIntegerField(_("afternoon golden-hour calls"), default=25)

    class Meta:
        verbose_name = _("call capacity")
        verbose_name_plural = _("call capacities")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.capacity}"


class CallListRun(models.Model):
    """One build of every rep's list for a day; the lists of a day are replaced
    atomically, so a crash leaves the previous lists as they were."""

    list_date = models.DateField(_("date"), unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=choices.RunStatus.choices, default="running"
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    lists = models.PositiveIntegerField(_("lists"), default=0)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    trigger = models.CharField(_("trigger"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("call-list run")
        verbose_name_plural = _("call-list runs")
        ordering = ["-list_date"]

    def __str__(self) -> str:
        return f"{self.list_date} ({self.status})"


class CallList(models.Model):
    """One rep's list for one day. `on_leave`: capacity 0, no list; the rep's due
    customers are lines with `for_manager=True` for the manager to cover."""

    list_date = models.DateField(_("date"))
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_lists"
    )
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    on_leave = models.BooleanField(_("on leave"), default=False)

    class Meta:
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")
        constraints = [
            models.UniqueConstraint(fields=["list_date", "rep"], name="followup_one_list_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.rep_id} {self.list_date}"


class CallListLine(models.Model):
    list_date = models.DateField(_("date"))
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="call_lines"
    )
    rank = models.PositiveIntegerField(_("rank"))
    slot = models.CharField(_("slot"), max_length=10, choices=choices.Slot.choices)
    bucket = models.PositiveSmallIntegerField(_("priority"))
    reason = models.CharField(_("reason"), max_length=20, choices=choices.Reason.choices)
    maturity = models.CharField(_("maturity class"), max_length=2)
    next_due = models.DateField(_("next follow-up"))
    deadline = models.DateField(_("follow-up deadline"))
    first_listed_on = models.DateField(_("first listed on"))
    for_manager = models.BooleanField(_("for the manager (rep on leave)"), default=False)

    class Meta:
        verbose_name = _("call-list line")
        verbose_name_plural = _("call-list lines")
        ordering = ["list_date", "rep", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["list_date", "customer"], name="followup_line_once")
        ]
        indexes = [
            # /api/v1/calllist/?date=&rep= and `guanxi calllist`: a rep's list in rank order
            models.Index(fields=["list_date", "rep", "rank"], name="followup_line_rep_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.list_date} {self.rep_id} #{self.rank}"


class StockTarget(models.Model):
    """Expected stock of customers per rep for a maturity class (seed 004 table), or
    for all 4s together (`4`) or the whole book (`total`). Blank bounds are open;
    the monitoring page flags a count outside [minimum, maximum]."""

    key = models.CharField(_("class"), max_length=8, unique=True)
    minimum = models.PositiveIntegerField(_("at least"), null=True, blank=True)
    maximum = models.PositiveIntegerField(_("at most"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("expected stock")
        verbose_name_plural = _("expected stock")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum__isnull=True)
                | models.Q(maximum__isnull=True)
                | models.Q(maximum__gte=models.F("minimum")),
                name="followup_stock_target_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.minimum}–{self.maximum}"


class PlanTarget(models.Model):
    """Customers a rep should have planned per weekday of the next week (seed 004:
    Mon 35, Tue 25, Wed 25, Thu 20, Fri 15). weekday: 0 = Monday."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), unique=True)
    calls = models.PositiveSmallIntegerField(_("planned customers"))

    class Meta:
        verbose_name = _("weekly plan target")
        verbose_name_plural = _("weekly plan targets")
        ordering = ["weekday"]

    def __str__(self) -> str:
        return f"{self.weekday}: {self.calls}"
