"""The stored facts the nightly run scores from, and the log that says which went stale.

`CustomerFacts` holds one row per scored customer: exactly the row of the facts
statement (facts.COLUMNS) as of the last run's reference date. Database triggers
append the customer of every relevant write (orders, interactions, needs, contacts,
the customer's own scoring fields, credit profile, maturity) to `FactsChange`, in
the writer's own transaction; the next run refreshes those customers' facts and
rescores them (nightly.py). Neither table is written by the application otherwise.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.fields import RowIdBigIntegerField


class CustomerFacts(models.Model):
    """facts.STORED_COLUMNS of one scored customer as of the last run (not a foreign key:
    the run itself removes the rows of customers that left the population)."""

    customer_id = RowIdBigIntegerField(_("customer"), primary_key=True)
    created_on = models.DateField()
    stage = models.TextField(blank=True)
    industry = models.TextField(blank=True)
    size_band = models.TextField(blank=True)
    source = models.TextField(blank=True)
    urgency = models.TextField(blank=True)
    potential_class = models.TextField(blank=True)
    contract_status = models.TextField(blank=True)
    is_strategic = models.IntegerField()
    satisfaction = models.IntegerField(null=True)
    budget_known = models.IntegerField()
    first_on = models.DateField(null=True)
    last_on = models.DateField(null=True)
    n_all = models.IntegerField()
    n_days = models.IntegerField()
    sales = models.BigIntegerField()
    recent = models.BigIntegerField()
    previous = models.BigIntegerField()
    quarters = models.IntegerField()
    margin_base = models.BigIntegerField()
    profit_x = models.BigIntegerField()
    last_int_on = models.DateField(null=True)
    n_recent = models.IntegerField()
    n_open = models.IntegerField()
    n_matched = models.IntegerField()
    n_contacts = models.IntegerField()
    dm = models.IntegerField()
    kp = models.IntegerField()
    payment_method = models.TextField(blank=True)
    plan = models.BigIntegerField(null=True)
    maturity = models.TextField(null=True)
    promised = models.DateField(null=True)
    paid = models.IntegerField()
    # orders in each quarter of the sales window (facts.QUARTER_COUNTS)
    cq0 = models.IntegerField(default=0)
    cq1 = models.IntegerField(default=0)
    cq2 = models.IntegerField(default=0)
    cq3 = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("stored scoring facts")
        verbose_name_plural = _("stored scoring facts")

    def __str__(self) -> str:
        return f"{self.customer_id}"


class FactsChange(models.Model):
    """Append-only: a customer whose facts may have changed since the last run.
    A run deletes exactly the rows it read, so a write committed meanwhile stays.
    An inserted order or interaction is logged with its row, so that the run can add
    it to the stored facts instead of rebuilding them (nightly.apply_insert_deltas);
    any other write is OTHER and rebuilds the customer's facts."""

    OTHER, ORDER_ADDED, INTERACTION_ADDED = 0, 1, 2

    id = models.BigAutoField(primary_key=True)
    customer_id = models.BigIntegerField(_("customer"))
    kind = models.PositiveSmallIntegerField(_("kind"), db_default=OTHER)
    row_id = models.BigIntegerField(_("inserted row"), null=True)

    class Meta:
        verbose_name = _("scoring facts change")
        verbose_name_plural = _("scoring facts changes")

    def __str__(self) -> str:
        return f"{self.id}: {self.customer_id}"
