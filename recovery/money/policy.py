"""Reads of the effective-dated policy tables: the row in force on a given day (SPEC §3.5, §5.3, §5.5)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..clocks.counting import ClockTable
from ..errors import CaseActionError
from ..policy_models import ClockLength, FixedPercentageTerms, InterestRate, RecoveryThreshold, SelfCalculatedTerms


class PolicyMissing(CaseActionError):
    """No row of a policy table is in force on the day a rule needs it."""


def clock_table() -> ClockTable:
    """The whole clock table, read once (a sweep passes it to every case it looks at)."""
    return ClockTable(rows=tuple(ClockLength.objects.values_list("track", "name", "effective_from", "days")))


def _in_force(queryset, on: date):
    return queryset.filter(effective_from__lte=on).order_by("-effective_from").first()


@dataclass(frozen=True)
class InterestTerms:
    annual_rate: Decimal
    year_days: int
    period_days: int
    grace_days: int
    effective_from: date


def interest_terms(*, on: date) -> InterestTerms:
    row = _in_force(InterestRate.objects.all(), on)
    if row is None:
        raise PolicyMissing(f"No interest rate is in force on {on:%Y-%m-%d}; a supervisor adds it to the "
                            "interest-rate table.")
    return InterestTerms(row.annual_rate, row.year_days, row.period_days, row.grace_days, row.effective_from)


def recovery_threshold(*, coverage_type: str, on: date) -> Decimal | None:
    """The threshold in force for that coverage type on `on`, or None where none applies (e.g. GHP)."""
    row = _in_force(RecoveryThreshold.objects.filter(coverage_type=coverage_type), on)
    return row.amount if row else None


def fixed_percentage_terms(*, on: date) -> FixedPercentageTerms | None:
    return _in_force(FixedPercentageTerms.objects.all(), on)


def self_calculated_terms(*, on: date) -> SelfCalculatedTerms | None:
    return _in_force(SelfCalculatedTerms.objects.all(), on)
