"""Effective-dated policy tables that supervisors maintain (SPEC §3.5, §5.3, §5.5). Nothing in them is
a constant in code: a case uses the row in force on the date its rule names (settlement date for
thresholds and options, demand date for the interest rate, the clock's start for clock lengths)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from .cases.tracks import Track


class EffectiveDated(models.Model):
    effective_from = models.DateField()
    source = models.CharField(max_length=300, blank=True, help_text="Where the figure comes from")

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["-effective_from"]


class RecoveryThreshold(EffectiveDated):
    """SPEC §5.3: a settlement at or below the threshold is not recovered (physical trauma only)."""

    class CoverageType(models.TextChoices):
        LIABILITY = "liability", "Liability (incl. self-insured)"
        NO_FAULT = "no_fault", "No-fault"
        WORKERS_COMP = "workers_comp", "Workers' compensation"

    coverage_type = models.CharField(max_length=20, choices=CoverageType.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta(EffectiveDated.Meta):
        constraints = [models.UniqueConstraint(fields=["coverage_type", "effective_from"], name="one_threshold_a_day")]

    def __str__(self):
        return f"{self.get_coverage_type_display()} ${self.amount} from {self.effective_from}"


class FixedPercentageTerms(EffectiveDated):
    """SPEC §5.3: pay a percentage of the gross settlement, for settlements up to a cap."""

    percentage = models.DecimalField(max_digits=5, decimal_places=4,
                                     validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
                                     help_text="A fraction: 0.2500 is 25%")
    settlement_cap = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta(EffectiveDated.Meta):
        verbose_name_plural = "fixed percentage option terms"
        constraints = [models.UniqueConstraint(fields=["effective_from"], name="one_fixed_terms_a_day")]

    def __str__(self):
        return f"{self.percentage * 100:.2f}% up to ${self.settlement_cap} from {self.effective_from}"


class SelfCalculatedTerms(EffectiveDated):
    """SPEC §5.3: who may self-calculate the conditional payment amount."""

    settlement_limit = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    min_months_since_injury = models.PositiveSmallIntegerField()
    min_days_since_care = models.PositiveSmallIntegerField()
    answer_days = models.PositiveSmallIntegerField(help_text="The contractor answers within this many days")
    settle_within_days = models.PositiveSmallIntegerField(help_text="The case must settle within this many days")

    class Meta(EffectiveDated.Meta):
        verbose_name_plural = "self-calculated option terms"
        constraints = [models.UniqueConstraint(fields=["effective_from"], name="one_selfcalc_terms_a_day")]

    def __str__(self):
        return f"up to ${self.settlement_limit} from {self.effective_from}"


class InterestRate(EffectiveDated):
    """SPEC §5.5: the annual rate in force on the demand date, fixed for that debt."""

    annual_rate = models.DecimalField(max_digits=7, decimal_places=5,
                                      validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
                                      help_text="A fraction: 0.11500 is 11.50%")
    year_days = models.PositiveSmallIntegerField(default=360, help_text="Day-count basis of a year")
    period_days = models.PositiveSmallIntegerField(default=30)
    grace_days = models.PositiveSmallIntegerField(default=60)

    class Meta(EffectiveDated.Meta):
        constraints = [models.UniqueConstraint(fields=["effective_from"], name="one_rate_a_day")]

    def __str__(self):
        whole, _, decimals = f"{(self.annual_rate * 100).normalize():f}".partition(".")
        return f"{whole}.{decimals.ljust(2, '0')}% from {self.effective_from}"  # 11.50%, 12.125%


class ClockLength(EffectiveDated):
    """SPEC §3.5: a clock's length per track, effective-dated (the law has changed some)."""

    track = models.CharField(max_length=12, choices=Track.choices)
    name = models.CharField(max_length=40)
    days = models.PositiveSmallIntegerField()

    class Meta(EffectiveDated.Meta):
        constraints = [models.UniqueConstraint(fields=["track", "name", "effective_from"], name="one_clock_a_day")]

    def __str__(self):
        return f"{self.track}.{self.name} = {self.days} days from {self.effective_from}"
