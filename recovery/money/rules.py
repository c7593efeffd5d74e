"""The money rules of a recovery case (SPEC §5), as pure functions.

Dates and ``Decimal`` amounts in; values and frozen dataclasses out. No database, no Django, no
``float``. Every policy figure (thresholds, caps, percentages, interest rates, day-count basis,
grace and period lengths) is a parameter: the callers read it from the effective-dated policy
tables, so a change of policy is a new table row, never a code change.

Rounding: half up to the cent, only at the step a rule names, and a division is carried out
exactly before that single rounding (so no intermediate figure is rounded behind the reader's back).

Computations that end up in a letter or on a calculator page return their ``steps``: one sentence
per step, with the figures, in the order the regulation gives them.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Iterable, NamedTuple, Sequence

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DIGITS = 15  # digits before the point: far above any real debt, far below Decimal's 28-digit precision

# Coverage types, spelled as payers.models.MSPOccurrence.CoverageType spells them (that enum's members
# are strings, so they can be passed here directly).
LIABILITY = "liability"
NO_FAULT = "no_fault"
WORKERS_COMP = "workers_comp"
GHP = "ghp"
NGHP_COVERAGE_TYPES = frozenset({LIABILITY, NO_FAULT, WORKERS_COMP})
COVERAGE_TYPES = NGHP_COVERAGE_TYPES | {GHP}


# ---------------------------------------------------------------------------------------------
# Bad input, rounding, formatting
# ---------------------------------------------------------------------------------------------


class MoneyInputError(ValueError):
    """Bad input to a money rule (SPEC §9): ``field`` names the input, the message says why."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def to_cents(value: Decimal | int) -> Decimal:
    """Round half up to the cent (SPEC §5: "round half up at each step the rule names")."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise MoneyInputError("value", f"value must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite() or value.adjusted() >= MAX_DIGITS:
        raise MoneyInputError("value", f"value must be a finite amount below 10^{MAX_DIGITS}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


def _divide_to_cents(numerator: Decimal, denominator: Decimal | int) -> Decimal:
    """numerator ÷ denominator (both not negative), rounded half up to the cent once.

    The quotient is carried to 60 significant digits before the one rounding. The inputs are finite
    decimals (cents, rates with a few places, whole days), so a quotient that is not exactly on a
    half cent lies at least 10^-25 away from one — far outside the 60-digit carry — and the rounding
    is the one exact arithmetic would give (the tests compare with Fraction arithmetic).
    """
    quotient = _EXACT.divide(_EXACT.create_decimal(numerator), _EXACT.create_decimal(denominator))
    return quotient.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(field: str, value, *, allow_none: bool = False) -> Decimal | None:
    """Check a money input: a Decimal, not negative, whole cents. Returns it with two decimals."""
    if value is None and allow_none:
        return None
    if isinstance(value, float):
        raise MoneyInputError(field, f"{field} must be a Decimal, never a float")
    if not isinstance(value, Decimal):
        raise MoneyInputError(field, f"{field} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise MoneyInputError(field, f"{field} must be a finite amount")
    if value < 0:
        raise MoneyInputError(field, f"{field} must not be negative (got {value})")
    if value.adjusted() >= MAX_DIGITS:
        raise MoneyInputError(field, f"{field} is too large (got {value})")
    if value.as_tuple().exponent < -2 and value != value.quantize(CENT):
        raise MoneyInputError(field, f"{field} must be in whole cents (got {value})")
    return value.quantize(CENT)


def _fraction_input(field: str, value, *, maximum: Decimal = Decimal(1)) -> Decimal:
    """Check a rate or percentage given as a fraction (0.25 for 25%)."""
    if isinstance(value, float) or not isinstance(value, Decimal):
        raise MoneyInputError(field, f"{field} must be a Decimal fraction (e.g. 0.25 for 25%)")
    if not value.is_finite() or value < 0 or value > maximum:
        raise MoneyInputError(
            field, f"{field} must be a fraction between 0 and {maximum} (0.25 for 25%), got {value}"
        )
    return value


def _whole_number(field: str, value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MoneyInputError(field, f"{field} must be a whole number of at least {minimum}")
    return value


def _date(field: str, value, *, allow_none: bool = False) -> datetime.date | None:
    if value is None and allow_none:
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise MoneyInputError(field, f"{field} must be a date")
    return value


def _flag(field: str, value) -> bool:
    if not isinstance(value, bool):
        raise MoneyInputError(field, f"{field} must be True or False")
    return value


def _usd(amount: Decimal) -> str:
    return f"−${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def _percent(fraction: Decimal) -> str:
    percent = fraction * 100
    if percent == percent.quantize(CENT):
        return f"{percent:.2f}%"
    return f"{percent.normalize():f}%"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Calendar-month arithmetic: the same day of the month, or the month's last day if it has no such day.

    2023-08-31 + 6 months = 2024-02-29; 2022-08-31 + 6 months = 2023-02-28.
    """
    _date("day", day)
    if isinstance(months, bool) or not isinstance(months, int):
        raise MoneyInputError("months", "months must be a whole number")
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------------
# §5.1 Conditional payment amount
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One Medicare claim, as far as the conditional payment amount needs it."""

    service_from: datetime.date
    service_to: datetime.date
    amount: Decimal
    related: bool


def conditional_payment_total(
    *, claims: Iterable, period_start: datetime.date, period_end: datetime.date | None
) -> Decimal:
    """SPEC §5.1: the sum Medicare paid on the related claims whose dates of service fall in the period.

    ``claims`` are ``Claim``s, objects with the same attributes, or tuples
    ``(service_from, service_to, amount, related)``. A claim counts only if it is related (a claim
    disputed and removed is passed with ``related=False``) and both its first and its last date of
    service lie in [period_start, period_end]; ``period_end=None`` means the period is still open.
    A claim that straddles a boundary is left out here; rejecting it on entry is the form's job.
    """
    period_start = _date("period_start", period_start)
    period_end = _date("period_end", period_end, allow_none=True)
    if period_end is not None and period_end < period_start:
        raise MoneyInputError("period_end", "period_end must not be before period_start")

    total = ZERO
    for index, claim in enumerate(claims):
        if isinstance(claim, tuple):
            claim = Claim(*claim)
        where = f"claims[{index}]"
        service_from = _date(f"{where}.service_from", claim.service_from)
        service_to = _date(f"{where}.service_to", claim.service_to)
        amount = _money(f"{where}.amount", claim.amount)
        related = _flag(f"{where}.related", claim.related)
        if service_to < service_from:
            raise MoneyInputError(f"{where}.service_to", f"{where}.service_to is before its service_from")
        inside = service_from >= period_start and (period_end is None or service_to <= period_end)
        if related and inside:
            total += amount
    return total


# ---------------------------------------------------------------------------------------------
# §5.2 Recovery amount with procurement costs (42 CFR 411.37)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryComputation:
    """What Medicare recovers, by which paragraph of §411.37, and every step of the arithmetic."""

    amount: Decimal
    rule: str  # "411.37(c)", "411.37(d)", "411.37(e)", or "411.37(b)" for the primary-payer cap
    steps: tuple[str, ...]
    medicare_payments: Decimal
    settlement: Decimal
    procurement_costs: Decimal  # the costs as submitted
    procurement_reduction_taken: bool  # False when a CPN went unanswered
    medicare_share_of_costs: Decimal  # how much the procurement costs reduced the recovery


def recovery_amount(
    *,
    medicare_payments: Decimal,
    settlement: Decimal,
    procurement_costs: Decimal,
    cms_sued: bool = False,
    cpn_unanswered: bool = False,
) -> RecoveryComputation:
    """SPEC §5.2, 42 CFR 411.37(c), (d), (e): the recovery after Medicare's share of procurement costs.

    Pass as ``procurement_costs`` only costs that §411.37(a)(1) lets Medicare take into account:
    incurred because the claim was disputed and borne by the party Medicare recovers from.

    (c) payments < settlement: share = costs × payments ÷ settlement, rounded half up once;
        recovery = payments − share.
    (d) payments ≥ settlement: recovery = settlement − costs.
    (e) CMS had to sue (``cms_sued``): recovery = the lower of payments and (settlement − costs).

    A demand issued because a CPN went unanswered takes no procurement-cost reduction (SPEC §5.2;
    the CMS and CRS seeds: "without any reduction for fees or costs"). We read that as: the same
    paragraph applies with the costs counted as $0.00, so the recovery is the lower of the payments
    and the settlement — the settlement still caps it, as (d) always does.
    """
    payments = _money("medicare_payments", medicare_payments)
    settlement = _money("settlement", settlement)
    costs = _money("procurement_costs", procurement_costs)
    cms_sued = _flag("cms_sued", cms_sued)
    cpn_unanswered = _flag("cpn_unanswered", cpn_unanswered)
    if costs > settlement:
        raise MoneyInputError(
            "procurement_costs",
            f"procurement_costs ({_usd(costs)}) exceed the settlement ({_usd(settlement)})",
        )

    steps: list[str] = []
    applied_costs = costs
    if cpn_unanswered:
        applied_costs = ZERO
        steps.append(
            f"The demand follows a conditional payment notice that went unanswered: no reduction for "
            f"procurement costs is taken (costs of {_usd(costs)} counted as {_usd(ZERO)})."
        )

    if cms_sued:
        rule = "411.37(e)"
        net = settlement - applied_costs
        amount = min(payments, net)
        steps += [
            "CMS had to file suit because the party that received payment opposed recovery: "
            "42 CFR 411.37(e) applies.",
            f"Settlement minus procurement costs: {_usd(settlement)} − {_usd(applied_costs)} = {_usd(net)}.",
            f"Recovery is the lower of the Medicare payments ({_usd(payments)}) and {_usd(net)}: "
            f"{_usd(amount)}.",
        ]
    elif payments < settlement:
        rule = "411.37(c)"
        share = _divide_to_cents(applied_costs * payments, settlement)
        amount = payments - share
        steps += [
            f"Medicare payments ({_usd(payments)}) are less than the settlement ({_usd(settlement)}): "
            f"42 CFR 411.37(c) applies.",
            f"Ratio of procurement costs to the settlement: {_usd(applied_costs)} ÷ {_usd(settlement)}"
            f"{_ratio_text(applied_costs, settlement)}.",
            f"Medicare's share of the procurement costs: {_usd(applied_costs)} × {_usd(payments)} ÷ "
            f"{_usd(settlement)} = {_usd(share)} (rounded half up to the cent).",
            f"Recovery: {_usd(payments)} − {_usd(share)} = {_usd(amount)}.",
        ]
    else:
        rule = "411.37(d)"
        amount = settlement - applied_costs
        steps += [
            f"Medicare payments ({_usd(payments)}) are equal to or more than the settlement "
            f"({_usd(settlement)}): 42 CFR 411.37(d) applies.",
            f"Recovery: settlement minus procurement costs, {_usd(settlement)} − {_usd(applied_costs)} = "
            f"{_usd(amount)}.",
        ]

    return RecoveryComputation(
        amount=amount,
        rule=rule,
        steps=tuple(steps),
        medicare_payments=payments,
        settlement=settlement,
        procurement_costs=costs,
        procurement_reduction_taken=not cpn_unanswered,
        # What the costs took off: the recovery with no costs would be the lower of payments and settlement.
        medicare_share_of_costs=min(payments, settlement) - amount,
    )


def _ratio_text(numerator: Decimal, denominator: Decimal) -> str:
    """The §411.37(c)(1) ratio for display only; the arithmetic never uses a rounded ratio."""
    exact = numerator / denominator
    shown = exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    if shown == exact:
        return f" = {shown.normalize():f}"
    return f" ≈ {shown:f}"


def recovery_from_primary_payer(
    *,
    medicare_payments: Decimal,
    settlement: Decimal,
    procurement_costs: Decimal,
    amount_sought: Decimal | None = None,
    cms_sued: bool = False,
    cpn_unanswered: bool = False,
) -> RecoveryComputation:
    """SPEC §5.2, 42 CFR 411.37(b) and 411.24(i): recovery from the primary payer itself.

    No greater than the amount determined under §411.37(c), (d) or (e). ``amount_sought`` is what
    Medicare would otherwise claim from the primary payer (by default, its payments).
    """
    cap = recovery_amount(
        medicare_payments=medicare_payments,
        settlement=settlement,
        procurement_costs=procurement_costs,
        cms_sued=cms_sued,
        cpn_unanswered=cpn_unanswered,
    )
    sought = _money("amount_sought", amount_sought, allow_none=True)
    if sought is None:
        sought = cap.medicare_payments
    amount = min(sought, cap.amount)
    step = (
        f"Recovery from the primary payer is no greater than the {cap.rule} amount (42 CFR 411.37(b)): "
        f"the lower of {_usd(sought)} and {_usd(cap.amount)} is {_usd(amount)}."
    )
    return RecoveryComputation(
        amount=amount,
        rule="411.37(b)",
        steps=cap.steps + (step,),
        medicare_payments=cap.medicare_payments,
        settlement=cap.settlement,
        procurement_costs=cap.procurement_costs,
        procurement_reduction_taken=cap.procurement_reduction_taken,
        medicare_share_of_costs=cap.medicare_share_of_costs,
    )


# ---------------------------------------------------------------------------------------------
# §5.3 Thresholds and options (CRS p. 29)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionResult:
    """Whether a rule or option applies, what it comes to, and why not when it does not.

    ``reasons`` lists every condition that failed (empty when ``eligible``); ``steps`` explains the
    figures that were compared or computed.
    """

    eligible: bool
    amount: Decimal | None
    reasons: tuple[str, ...]
    steps: tuple[str, ...] = ()


def _coverage_type(value) -> str:
    if value not in COVERAGE_TYPES:
        raise MoneyInputError(
            "coverage_type", f"coverage_type must be one of {sorted(COVERAGE_TYPES)}, got {value!r}"
        )
    return str(value)


def below_recovery_threshold(*, settlement: Decimal, threshold: Decimal) -> bool:
    """SPEC §5.3: a settlement at or below the recovery threshold is not recovered ($750.00 at $750 → True)."""
    return _money("settlement", settlement) <= _money("threshold", threshold)


def recovery_threshold_applies(
    *,
    settlement: Decimal,
    threshold: Decimal | None,
    coverage_type: str,
    physical_trauma: bool,
    other_settlement_expected: bool,
) -> OptionResult:
    """SPEC §5.3 (CRS p. 29): does the recovery threshold close this case with no recovery?

    It applies to liability, no-fault and workers' compensation settlements for a physical-trauma
    injury (not ingestion, implantation or exposure) when no other settlement is expected, and the
    settlement is at or below the threshold in force on the settlement date. ``threshold=None``
    means no threshold was in force for this coverage type on that date (e.g. workers'
    compensation before 2016-09-26). When it applies, ``amount`` is the recovery: $0.00.
    """
    settlement = _money("settlement", settlement)
    threshold = _money("threshold", threshold, allow_none=True)
    coverage_type = _coverage_type(coverage_type)
    physical_trauma = _flag("physical_trauma", physical_trauma)
    other_settlement_expected = _flag("other_settlement_expected", other_settlement_expected)

    reasons = []
    if coverage_type not in NGHP_COVERAGE_TYPES:
        reasons.append(
            "The threshold applies only to liability, no-fault and workers' compensation settlements."
        )
    if not physical_trauma:
        reasons.append(
            "The threshold applies only to a physical trauma injury (not ingestion, implantation or exposure)."
        )
    if other_settlement_expected:
        reasons.append("Another settlement for the incident is expected.")
    steps = []
    if threshold is None:
        reasons.append("No recovery threshold was in force for this coverage type on the settlement date.")
    elif below_recovery_threshold(settlement=settlement, threshold=threshold):
        steps.append(f"Settlement {_usd(settlement)} is at or below the recovery threshold {_usd(threshold)}.")
    else:
        reasons.append(f"Settlement {_usd(settlement)} is above the recovery threshold {_usd(threshold)}.")
    eligible = not reasons
    return OptionResult(
        eligible=eligible, amount=ZERO if eligible else None, reasons=tuple(reasons), steps=tuple(steps)
    )


def fixed_percentage_option(
    *,
    gross_settlement: Decimal,
    percentage: Decimal,
    settlement_cap: Decimal,
    coverage_type: str,
    physical_trauma: bool,
    elected_before_demand: bool,
    other_settlement_expected: bool,
) -> OptionResult:
    """SPEC §5.3 (CRS p. 29): the fixed percentage option.

    A liability settlement for a physical-trauma injury, at or below the settlement cap in force
    (the seeds' $5,000; $10,000 from 2023-10-02), elected before a demand, no other settlement
    expected: the beneficiary may pay ``percentage`` (a fraction, 0.25 for 25%) of the gross
    settlement, rounded half up to the cent — even if Medicare's conditional payments are smaller.
    """
    gross = _money("gross_settlement", gross_settlement)
    percentage = _fraction_input("percentage", percentage)
    cap = _money("settlement_cap", settlement_cap)
    coverage_type = _coverage_type(coverage_type)
    physical_trauma = _flag("physical_trauma", physical_trauma)
    elected_before_demand = _flag("elected_before_demand", elected_before_demand)
    other_settlement_expected = _flag("other_settlement_expected", other_settlement_expected)

    reasons = []
    if coverage_type != LIABILITY:
        reasons.append("The fixed percentage option is for liability settlements only.")
    if not physical_trauma:
        reasons.append("The fixed percentage option requires a physical trauma injury.")
    if not elected_before_demand:
        reasons.append("The fixed percentage option must be elected before the demand is issued.")
    if other_settlement_expected:
        reasons.append("Another settlement for the incident is expected.")
    if gross > cap:
        reasons.append(f"The gross settlement {_usd(gross)} is above the {_usd(cap)} cap for this option.")
    if reasons:
        return OptionResult(eligible=False, amount=None, reasons=tuple(reasons))

    amount = to_cents(gross * percentage)
    steps = (
        f"Gross settlement {_usd(gross)} is at or below the {_usd(cap)} cap.",
        f"{_percent(percentage)} of the gross settlement: {_usd(gross)} × {_percent(percentage)} = "
        f"{_usd(amount)} (rounded half up to the cent).",
    )
    return OptionResult(eligible=True, amount=amount, reasons=(), steps=steps)


def self_calculated_option_eligibility(
    *,
    injury_date: datetime.date,
    election_date: datetime.date,
    expected_settlement: Decimal,
    settlement_limit: Decimal,
    care_completed_date: datetime.date | None,
    submission_date: datetime.date,
    physician_attestation: bool,
    other_settlement_expected: bool,
    physical_trauma: bool,
    min_months: int = 6,
    min_care_days: int = 90,
) -> OptionResult:
    """SPEC §5.3 (CRS p. 29): may the beneficiary submit its own conditional payment calculation?

    - physical trauma injury at least ``min_months`` calendar months before the election
      (injury + months ≤ election date; see ``add_months``);
    - expected settlement at or below ``settlement_limit``;
    - medical care completed at least ``min_care_days`` days before submission
      (care completed + days ≤ submission date), or a physician attests that care is complete;
    - no other settlement expected.
    ``amount`` is always None: the beneficiary computes it and the contractor answers.
    """
    injury_date = _date("injury_date", injury_date)
    election_date = _date("election_date", election_date)
    expected = _money("expected_settlement", expected_settlement)
    limit = _money("settlement_limit", settlement_limit)
    care_completed_date = _date("care_completed_date", care_completed_date, allow_none=True)
    submission_date = _date("submission_date", submission_date)
    physician_attestation = _flag("physician_attestation", physician_attestation)
    other_settlement_expected = _flag("other_settlement_expected", other_settlement_expected)
    physical_trauma = _flag("physical_trauma", physical_trauma)
    min_months = _whole_number("min_months", min_months, minimum=0)
    min_care_days = _whole_number("min_care_days", min_care_days, minimum=0)

    reasons, steps = [], []
    if not physical_trauma:
        reasons.append("The self-calculated option requires a physical trauma injury.")

    earliest_election = add_months(injury_date, min_months)
    if election_date >= earliest_election:
        steps.append(
            f"Injury on {injury_date} + {min_months} months = {earliest_election}; elected on {election_date}."
        )
    else:
        reasons.append(
            f"The injury ({injury_date}) must be at least {min_months} months before the election: "
            f"the earliest election date is {earliest_election}, the election was on {election_date}."
        )

    if expected <= limit:
        steps.append(f"Expected settlement {_usd(expected)} is at or below the {_usd(limit)} limit.")
    else:
        reasons.append(f"The expected settlement {_usd(expected)} is above the {_usd(limit)} limit.")

    if physician_attestation:
        steps.append("A physician attests that medical care is complete.")
    elif care_completed_date is None:
        reasons.append("Medical care is not shown to be completed, and no physician attests that it is.")
    else:
        earliest_submission = care_completed_date + datetime.timedelta(days=min_care_days)
        if submission_date >= earliest_submission:
            steps.append(
                f"Care completed on {care_completed_date} + {min_care_days} days = {earliest_submission}; "
                f"submitted on {submission_date}."
            )
        else:
            reasons.append(
                f"Medical care must be completed at least {min_care_days} days before submission: "
                f"completed {care_completed_date}, so the earliest submission is {earliest_submission}, "
                f"submitted {submission_date}."
            )

    if other_settlement_expected:
        reasons.append("Another settlement for the incident is expected.")

    return OptionResult(eligible=not reasons, amount=None, reasons=tuple(reasons), steps=tuple(steps))


# ---------------------------------------------------------------------------------------------
# §5.4 Secondary payment (42 CFR 411.33)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondaryPayment:
    """What Medicare pays as secondary payer: the lowest candidate, never below $0.00."""

    amount: Decimal
    rule: str  # "411.33(e)" inpatient / other than fee schedule, "411.33(a)" fee schedule
    candidates: tuple[tuple[str, Decimal], ...]  # (what it is, amount), in the regulation's order
    steps: tuple[str, ...]


def _lowest_not_negative(rule: str, candidates: list[tuple[str, Decimal]], steps: list[str]) -> SecondaryPayment:
    lowest = min(amount for _, amount in candidates)
    amount = max(lowest, ZERO)
    if lowest < 0:
        steps.append(
            f"The lowest figure is {_usd(lowest)}: the primary payment already covers it, so Medicare "
            f"makes no secondary payment (42 CFR 411.32(a)(2)): {_usd(ZERO)}."
        )
    else:
        steps.append(f"Medicare's secondary payment is the lowest of these: {_usd(amount)}.")
    return SecondaryPayment(amount=amount, rule=rule, candidates=tuple(candidates), steps=tuple(steps))


def _charges_counted(what: str, charges: Decimal, obligation: Decimal | None, steps: list[str]) -> Decimal:
    """The charges, or the amount the provider must accept as full payment if that is less."""
    if obligation is not None and obligation < charges:
        steps.append(
            f"{what} {_usd(charges)}, but the provider must accept {_usd(obligation)} as full payment, "
            f"so {_usd(obligation)} counts as the charges."
        )
        return obligation
    return charges


def secondary_payment_inpatient(
    *,
    gross_medicare_amount: Decimal,
    primary_payment: Decimal,
    deductible: Decimal,
    provider_charges: Decimal,
    full_payment_obligation: Decimal | None = None,
) -> SecondaryPayment:
    """SPEC §5.4, 42 CFR 411.33(e): services not paid on a fee schedule (e.g. inpatient hospital care).

    The lowest of (1) gross Medicare amount − deductible, (2) gross Medicare amount − primary payment,
    (3) charges − primary payment, (4) charges − deductible. ``deductible`` is the applicable Medicare
    deductible and coinsurance; ``gross_medicare_amount`` is what Medicare would pay disregarding them
    and the primary payment. Where the provider must accept less than its charges as full payment
    (``full_payment_obligation``), that amount counts as the charges. Never below $0.00: Medicare pays
    only to supplement a primary payment that falls short (42 CFR 411.32(a)(2)).
    """
    gross = _money("gross_medicare_amount", gross_medicare_amount)
    primary = _money("primary_payment", primary_payment)
    deductible = _money("deductible", deductible)
    charges = _money("provider_charges", provider_charges)
    obligation = _money("full_payment_obligation", full_payment_obligation, allow_none=True)

    steps: list[str] = []
    charges = _charges_counted("The provider's charges are", charges, obligation, steps)
    subtractions = [
        ("Gross Medicare amount minus the deductible", gross, deductible),
        ("Gross Medicare amount minus the primary payment", gross, primary),
        ("Provider charges minus the primary payment", charges, primary),
        ("Provider charges minus the deductible", charges, deductible),
    ]
    candidates = [(label, left - right) for label, left, right in subtractions]
    for number, (label, left, right) in enumerate(subtractions, start=1):
        steps.append(f"({number}) {label}: {_usd(left)} − {_usd(right)} = {_usd(left - right)}.")
    return _lowest_not_negative("411.33(e)", candidates, steps)


def secondary_payment_fee_schedule(
    *,
    actual_charge: Decimal,
    primary_payment: Decimal,
    medicare_primary_amount: Decimal,
    primary_allowable: Decimal,
    medicare_recognised_amount: Decimal,
    full_payment_obligation: Decimal | None = None,
) -> SecondaryPayment:
    """SPEC §5.4, 42 CFR 411.33(a): services Medicare pays on a fee schedule or reasonable charge basis.

    The lowest of (1) actual charge − primary payment, (2) what Medicare would pay if it were primary
    (``medicare_primary_amount``, e.g. 80% of the fee schedule), (3) the higher of the primary payer's
    allowable charge and Medicare's recognised amount (both disregarding deductible and coinsurance),
    − primary payment. A supplier obliged to accept less than its charge as full payment has that
    amount counted as the charge. Never below $0.00 (42 CFR 411.32(a)(2)).
    """
    charge = _money("actual_charge", actual_charge)
    primary = _money("primary_payment", primary_payment)
    as_primary = _money("medicare_primary_amount", medicare_primary_amount)
    allowable = _money("primary_allowable", primary_allowable)
    recognised = _money("medicare_recognised_amount", medicare_recognised_amount)
    obligation = _money("full_payment_obligation", full_payment_obligation, allow_none=True)

    steps: list[str] = []
    charge = _charges_counted("The actual charge is", charge, obligation, steps)
    charge_less_primary = charge - primary
    higher = max(allowable, recognised)
    higher_less_primary = higher - primary
    candidates = [
        ("Actual charge minus the primary payment", charge_less_primary),
        ("What Medicare would pay as primary payer", as_primary),
        ("Higher of the primary payer's allowable charge and Medicare's recognised amount, minus the primary payment",
         higher_less_primary),
    ]
    steps += [
        f"(1) Actual charge minus the primary payment: {_usd(charge)} − {_usd(primary)} = {_usd(charge_less_primary)}.",
        f"(2) What Medicare would pay if it were the primary payer: {_usd(as_primary)}.",
        f"(3) The higher of the primary payer's allowable charge ({_usd(allowable)}) and Medicare's "
        f"recognised amount ({_usd(recognised)}), minus the primary payment: {_usd(higher)} − {_usd(primary)} = "
        f"{_usd(higher_less_primary)}.",
    ]
    return _lowest_not_negative("411.33(a)", candidates, steps)


# ---------------------------------------------------------------------------------------------
# §5.5 Interest, payments, adjustments, refunds: the debt ledger
# ---------------------------------------------------------------------------------------------


class PaymentApplication(NamedTuple):
    to_interest: Decimal
    to_principal: Decimal
    excess: Decimal  # more than the whole balance: owed back to the debtor as a refund


def apply_payment(*, interest_due: Decimal, principal_due: Decimal, amount: Decimal) -> PaymentApplication:
    """SPEC §5.5: a payment goes to assessed interest first, then to principal; any excess is refunded."""
    interest_due = _money("interest_due", interest_due)
    principal_due = _money("principal_due", principal_due)
    amount = _money("amount", amount)
    to_interest = min(amount, interest_due)
    to_principal = min(amount - to_interest, principal_due)
    return PaymentApplication(to_interest, to_principal, amount - to_interest - to_principal)


def period_interest(
    *, principal: Decimal, annual_rate: Decimal, period_days: int, year_days: int
) -> Decimal:
    """SPEC §5.5, 42 CFR 405.378: one full period's simple interest, rounded half up to the cent.

    principal × annual rate × period days ÷ year days (the day-count basis is a parameter).
    """
    principal = _money("principal", principal)
    annual_rate = _fraction_input("annual_rate", annual_rate)
    period_days = _whole_number("period_days", period_days, minimum=1)
    year_days = _whole_number("year_days", year_days, minimum=1)
    return _divide_to_cents(_EXACT.multiply(_EXACT.multiply(principal, annual_rate), period_days), year_days)


@dataclass(frozen=True)
class Payment:
    """Money received from the debtor on ``date``."""

    date: datetime.date
    amount: Decimal


@dataclass(frozen=True)
class PrincipalAdjustment:
    """A reduction of the principal on ``date`` (favourable appeal, waiver, compromise)."""

    date: datetime.date
    amount: Decimal
    reason: str = ""


@dataclass(frozen=True)
class RefundPaid:
    """A refund paid out to the debtor on ``date``; it settles part or all of the refund owed."""

    date: datetime.date
    amount: Decimal


INTEREST, PAYMENT, ADJUSTMENT, REFUND = "interest", "payment", "adjustment", "refund"


@dataclass(frozen=True)
class LedgerRow:
    """One append-only ledger row, with the balances after it.

    interest:   ``amount`` assessed for ``period`` on ``base`` (the principal unpaid at the end of
                the period's last day).
    payment:    ``amount`` = ``to_interest`` + ``to_principal`` + ``to_refund``.
    adjustment: ``amount`` = ``to_principal`` (reduction) + ``to_interest`` + ``to_refund`` (the
                part of the reduction the debtor had already paid: it settles unpaid interest first,
                the rest is owed back).
    refund:     ``amount`` paid out; the refund owed goes down by it.
    """

    date: datetime.date
    day: int  # days since the demand letter date (day 0)
    kind: str
    amount: Decimal
    note: str
    principal_after: Decimal
    interest_after: Decimal
    refund_owed_after: Decimal
    to_interest: Decimal = ZERO
    to_principal: Decimal = ZERO
    to_refund: Decimal = ZERO
    period: int | None = None
    base: Decimal | None = None


@dataclass(frozen=True)
class DebtSchedule:
    """Every ledger row from the demand date to ``as_of``, and the balances at the end of ``as_of``."""

    as_of: datetime.date
    rows: tuple[LedgerRow, ...]
    principal: Decimal
    interest: Decimal
    refund_owed: Decimal

    @property
    def balance(self) -> Decimal:
        return self.principal + self.interest

    @property
    def interest_assessed(self) -> Decimal:
        return sum((row.amount for row in self.rows if row.kind == INTEREST), ZERO)


class ScheduleDivergedError(ValueError):
    """The posted ledger is not a prefix of the recomputed schedule (e.g. a back-dated event arrived).

    An append-only ledger cannot silently absorb that; a person must post correcting rows.
    """

    def __init__(self, index: int, message: str):
        self.index = index
        super().__init__(message)


def _checked_events(events: Iterable, demand_date: datetime.date) -> list[tuple[datetime.date, int, object]]:
    """Validate the events and order them by date; events of the same day keep their given order."""
    checked = []
    for index, event in enumerate(events):
        where = f"events[{index}]"
        if not isinstance(event, (Payment, PrincipalAdjustment, RefundPaid)):
            raise MoneyInputError(where, f"{where} must be a Payment, PrincipalAdjustment or RefundPaid")
        _date(f"{where}.date", event.date)
        _money(f"{where}.amount", event.amount)
        if event.date < demand_date:
            raise MoneyInputError(f"{where}.date", f"{where}.date is before the demand letter date {demand_date}")
        checked.append((event.date, index, event))
    checked.sort(key=lambda item: (item[0], item[1]))
    return checked


class _Ledger:
    """The running balances of one debt and the rows that produced them (used by ``debt_schedule``)."""

    def __init__(self, *, principal, annual_rate, demand_date, period_days, year_days):
        self.principal = principal
        self.interest = ZERO
        self.refund_owed = ZERO
        self.rows: list[LedgerRow] = []
        self.annual_rate = annual_rate
        self.demand_date = demand_date
        self.period_days = period_days
        self.year_days = year_days
        self._interest_on: dict[Decimal, tuple[Decimal, str]] = {}  # base -> (period interest, its note's sum)

    def _date_of(self, day: int) -> datetime.date:
        return self.demand_date + datetime.timedelta(days=day)

    def _append(self, *, day: int, kind: str, amount: Decimal, note: str, **parts) -> None:
        self.rows.append(
            LedgerRow(
                date=self._date_of(day),
                day=day,
                kind=kind,
                amount=amount,
                note=note,
                principal_after=self.principal,
                interest_after=self.interest,
                refund_owed_after=self.refund_owed,
                **parts,
            )
        )

    def assess(self, *, day: int, period: int, base: Decimal) -> None:
        """Charge one full period's interest on ``base``; a period that comes to $0.00 leaves no row."""
        known = self._interest_on.get(base)
        if known is None:  # the same base recurs period after period: compute it (and its note's sum) once
            amount = period_interest(
                principal=base, annual_rate=self.annual_rate, period_days=self.period_days, year_days=self.year_days
            )
            known = self._interest_on[base] = (
                amount,
                f"{_usd(base)} × {_percent(self.annual_rate)} × {self.period_days} ÷ {self.year_days} = {_usd(amount)}.",
            )
        amount, arithmetic = known
        if amount == 0:
            return
        self.interest += amount
        first, last = (period - 1) * self.period_days + 1, period * self.period_days
        note = (
            f"Interest for period {period} (days {first}–{last}, {self._date_of(first)} to {self._date_of(last)}): "
            f"{arithmetic}"
        )
        self._append(day=day, kind=INTEREST, amount=amount, note=note, period=period, base=base)

    def post(self, *, day: int, event, where: str) -> None:
        amount = event.amount.quantize(CENT)
        if isinstance(event, Payment):
            to_interest, to_principal, to_refund = apply_payment(
                interest_due=self.interest, principal_due=self.principal, amount=amount
            )
            kind, note = PAYMENT, (
                f"Payment of {_usd(amount)}: {_usd(to_interest)} to interest, {_usd(to_principal)} to principal"
                + (f", {_usd(to_refund)} more than the balance, owed back as a refund." if to_refund else ".")
            )
        elif isinstance(event, PrincipalAdjustment):
            to_principal = min(amount, self.principal)
            already_paid = amount - to_principal
            to_interest = min(already_paid, self.interest)
            to_refund = already_paid - to_interest
            kind, note = ADJUSTMENT, (
                f"Principal reduced by {_usd(amount)}" + (f" ({event.reason})" if event.reason else "")
                + f": {_usd(to_principal)} off the unpaid principal"
                + (
                    f"; {_usd(already_paid)} had already been paid: {_usd(to_interest)} settles unpaid interest, "
                    f"{_usd(to_refund)} is owed back as a refund."
                    if already_paid
                    else "."
                )
            )
        else:  # RefundPaid
            if amount > self.refund_owed:
                raise MoneyInputError(
                    f"{where}.amount",
                    f"{where}.amount ({_usd(amount)}) is more than the refund owed ({_usd(self.refund_owed)})",
                )
            self.refund_owed -= amount
            self._append(day=day, kind=REFUND, amount=amount, note=f"Refund of {_usd(amount)} paid to the debtor.")
            return
        self.interest -= to_interest
        self.principal -= to_principal
        self.refund_owed += to_refund
        self._append(
            day=day, kind=kind, amount=amount, note=note,
            to_interest=to_interest, to_principal=to_principal, to_refund=to_refund,
        )


def debt_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    demand_date: datetime.date,
    as_of: datetime.date,
    events: Iterable = (),
    year_days: int = 360,
    period_days: int = 30,
    grace_days: int = 60,
) -> DebtSchedule:
    """SPEC §5.5, 42 CFR 405.378: replay a debt from its demand letter date to the end of ``as_of``.

    - Day 0 is the demand letter date. Period k is the ``period_days`` days ending on day
      period_days × k; only full periods are charged. A period's interest is the principal unpaid at
      the end of its last day × ``annual_rate`` × period_days ÷ year_days, rounded half up to the cent.
    - Grace: nothing is assessed through day ``grace_days``. If the principal is paid (or cancelled)
      by the end of that day, no interest is ever assessed. Otherwise, at the start of the next day
      and before any event of that day, every period that ended within the grace days is assessed,
      each on the principal unpaid at the end of its own last day. Each later period is assessed on
      its last day, after that day's events, while principal remains unpaid.
    - Payments go to assessed interest first, then to principal; any excess becomes refund owed.
    - A principal adjustment reduces the principal; the part of it the debtor had already paid
      settles unpaid interest first and the rest becomes refund owed. Interest already assessed
      stands (appeals and waivers do not stop accrual).
    - Events dated after ``as_of`` are ignored, so the schedule as of one date is a prefix of the
      schedule as of any later date (see ``rows_to_append``), and a recomputation gives the same
      rows to the cent.
    """
    principal = _money("principal", principal)
    annual_rate = _fraction_input("annual_rate", annual_rate)
    demand_date = _date("demand_date", demand_date)
    as_of = _date("as_of", as_of)
    year_days = _whole_number("year_days", year_days, minimum=1)
    period_days = _whole_number("period_days", period_days, minimum=1)
    grace_days = _whole_number("grace_days", grace_days, minimum=0)
    if as_of < demand_date:
        raise MoneyInputError("as_of", f"as_of ({as_of}) is before the demand letter date ({demand_date})")
    last_day = (as_of - demand_date).days

    events_by_day: dict[int, list[tuple[int, object]]] = {}
    for date, index, event in _checked_events(events, demand_date):
        if date <= as_of:
            events_by_day.setdefault((date - demand_date).days, []).append((index, event))

    period_ends = set(range(period_days, last_day + 1, period_days))
    first_day_after_grace = grace_days + 1
    principal_at_end_of: dict[int, Decimal] = {}  # for the periods that end inside grace
    interest_runs = False  # becomes True once the debt is still unpaid when grace ends

    ledger = _Ledger(
        principal=principal, annual_rate=annual_rate, demand_date=demand_date,
        period_days=period_days, year_days=year_days,
    )
    # Only the days on which something happens need visiting.
    days = sorted(set(events_by_day) | period_ends | {first_day_after_grace})
    for day in days:
        if day > last_day:
            break
        if day == first_day_after_grace and ledger.principal > 0:
            interest_runs = True
            for end in sorted(principal_at_end_of):
                ledger.assess(day=day, period=end // period_days, base=principal_at_end_of[end])
        for index, event in events_by_day.get(day, ()):
            ledger.post(day=day, event=event, where=f"events[{index}]")
        if day in period_ends:
            if day <= grace_days:
                principal_at_end_of[day] = ledger.principal
            elif interest_runs:
                ledger.assess(day=day, period=day // period_days, base=ledger.principal)

    return DebtSchedule(
        as_of=as_of,
        rows=tuple(ledger.rows),
        principal=ledger.principal,
        interest=ledger.interest,
        refund_owed=ledger.refund_owed,
    )


def schedule_cut(schedule: DebtSchedule, as_of: datetime.date, *, principal: Decimal) -> DebtSchedule:
    """``debt_schedule`` as of an earlier ``as_of`` (not before the demand date), cut from ``schedule``
    — computed from the same terms and events as of a later date — instead of replayed: events after a
    date are ignored, so the earlier schedule is the later one's rows dated through ``as_of``, and its
    balances are those after the last of them (the demanded ``principal`` when there is none).
    Saves a replay when one debt is asked about on several dates (the sweep's batch engine)."""
    if as_of > schedule.as_of:
        raise ValueError(f"cannot cut a schedule as of {schedule.as_of} at a later date {as_of}")
    n = len(schedule.rows)
    while n and schedule.rows[n - 1].date > as_of:
        n -= 1
    rows = schedule.rows[:n]
    if rows:
        last = rows[-1]
        return DebtSchedule(as_of, rows, last.principal_after, last.interest_after, last.refund_owed_after)
    return DebtSchedule(as_of, rows, _money("principal", principal), ZERO, ZERO)


def rows_to_append(*, posted: Sequence, schedule: DebtSchedule) -> tuple[LedgerRow, ...]:
    """SPEC §5.5 (append-only ledger): the rows of a fresh ``schedule`` that are not posted yet.

    ``posted`` are the rows already in the ledger, in order (anything with ``date``, ``kind``,
    ``period`` and ``amount``). They must be the start of the recomputed schedule; if they are not —
    typically a back-dated payment or adjustment recorded after later interest was posted — this
    raises ``ScheduleDivergedError`` rather than guess at a correction.
    """
    def identity(row):
        return (row.date, row.kind, row.period, row.amount)

    for index, (old, new) in enumerate(zip(posted, schedule.rows)):
        if identity(old) != identity(new):
            raise ScheduleDivergedError(
                index,
                f"posted row {index} ({old.kind} {_usd(old.amount)} on {old.date}) differs from the "
                f"recomputed row ({new.kind} {_usd(new.amount)} on {new.date})",
            )
    if len(posted) > len(schedule.rows):
        raise ScheduleDivergedError(
            len(schedule.rows), f"the ledger has {len(posted)} rows, the recomputed schedule only {len(schedule.rows)}"
        )
    return schedule.rows[len(posted):]
