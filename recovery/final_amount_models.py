"""The final conditional payment amount (SPEC §5.6; SMART Act, 42 CFR 411.39): what was noticed and
asked for on a case, and the decision due dates of the disputes raised under the notice.

Once per case: one row per case holds the notice of an expected settlement and, later, the request
and the amount given. Whether the amount still holds is not stored — it follows from the dates
(recovery.money.final_amount.standing), so it cannot drift from them.

The lengths of the §5.6 clocks are rows of the effective-dated clock table (recovery.policy_models.
ClockLength), like every other clock: seeded here, by migration and again after a database flush.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.signals import post_migrate

# The §5.6 clocks (beneficiary track), in the clock table under these names.
NOTICE_WINDOW = "final_amount_notice_window"  # settlement expected within N days of the notice
SETTLE_WITHIN = "final_amount_settle_within"  # asked for within N days of settling; settles within N days
SETTLEMENT_INFO = "final_amount_settlement_info"  # settlement information filed within N days of settling
DISPUTE_BUSINESS_DAYS = "final_amount_dispute_business_days"  # disputes under the notice resolved in N business days

SMART_ACT = date(2013, 1, 10)  # P.L. 112-242 enacted
SOURCE = "SPEC §5.6 (SMART Act, P.L. 112-242; 42 CFR 411.39)"
CLOCKS = {NOTICE_WINDOW: 120, SETTLE_WITHIN: 3, SETTLEMENT_INFO: 30, DISPUTE_BUSINESS_DAYS: 11}


def seed_clocks(apps, schema_editor=None):
    """Add the §5.6 clock rows if missing (idempotent; a supervisor's later rows are left alone)."""
    ClockLength = apps.get_model("recovery", "ClockLength")
    for name, days in CLOCKS.items():
        ClockLength.objects.get_or_create(track="beneficiary", name=name, effective_from=SMART_ACT,
                                          defaults={"days": days, "source": SOURCE})


def _seed_after_migrate(sender, **kwargs):
    # A flush (e.g. after a transactional test) empties the clock table; put the §5.6 rows back, as
    # recovery.apps does for the seeds of SPEC §3.
    if getattr(sender, "name", None) == "recovery":
        from django.apps import apps

        seed_clocks(apps)


post_migrate.connect(_seed_after_migrate, dispatch_uid="recovery.final_amount_models.seed_clocks")


class FinalConditionalPayment(models.Model):
    """The notice of a settlement expected within 120 days and, once, the request for the final
    conditional payment amount (SPEC §5.6)."""

    case = models.OneToOneField("recovery.RecoveryCase", on_delete=models.PROTECT, related_name="final_amount")
    notice_date = models.DateField(help_text="When the beneficiary's side said the case is expected to settle")
    expected_settlement_date = models.DateField(help_text="Within 120 days of the notice")
    noticed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField(null=True, blank=True,
                                    help_text="When the final conditional payment amount was asked for")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True)
    amount = models.DecimalField(
        "final conditional payment amount", max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.00"), "Amounts cannot be negative.")],
        help_text="The conditional payment total on the day it was asked for")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "final conditional payment amount"

    def __str__(self):
        if self.requested_on:
            return f"Final amount ${self.amount} requested {self.requested_on}"
        return f"Settlement expected {self.expected_settlement_date} (notice {self.notice_date})"


class FinalAmountDispute(models.Model):
    """A dispute raised while a notice of settlement stands: resolved within 11 business days."""

    final_amount = models.ForeignKey(FinalConditionalPayment, on_delete=models.PROTECT, related_name="disputes")
    dispute = models.OneToOneField("recovery.Dispute", on_delete=models.PROTECT, related_name="final_amount_clock")
    due_date = models.DateField(help_text="The contractor resolves it by this day (business days, SPEC §5.6)")

    def __str__(self):
        return f"Dispute {self.dispute_id} due {self.due_date}"
