"""Who pays first — SPEC §7, from CRS R47524's Tables 1–3 (seeds/crs-msp-coordination-of-benefits.txt),
42 CFR §411.21 (prompt payment) and the WCMSA review thresholds (CRS p. 30).

A pure module: dataclasses, ``date`` and ``Decimal`` in, a ``Determination`` out, no ORM. ``who_pays_first``
orders the payers for one service on one day and names the rule that decided who is primary (and every
other rule it applied). Bad input raises ``CoordinationInputError`` naming the field (SPEC §9).

The order it builds, top first (CRS pp. 10–15):

1. Federal care Medicare never pays for: VA-authorised care (VA pays), care at a military facility
   (TRICARE pays). Medicare is not in the order at all.
2. Care related to Black Lung, for a person covered by the Federal Black Lung Program.
3. Care related to a liability / no-fault / workers' compensation claim: that plan — and if it has not
   paid promptly (120 days, §411.21 / §411.50), Medicare may pay *conditionally* (and recovers later).
4. A group health plan, when the MSP rules make it primary (working aged 20+, working disabled 100+,
   ESRD 30-month coordination period — Tables 1 and 2).
5. Medicare.
6. Whatever is secondary to Medicare: a GHP that is not primary (retiree, COBRA, small employer),
   TRICARE For Life; and Medicaid, always last.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

# --- the numbers (SPEC §7) --------------------------------------------------------------------------

AGED_EMPLOYER_SIZE = 20  # working aged: employer with 20 or more employees (Table 1 rows 2–3)
DISABLED_EMPLOYER_SIZE = 100  # working disabled: 100 or more (Table 1 rows 4–5)
COORDINATION_MONTHS = 30  # ESRD coordination period (Table 1 rows 6–7)
PROMPT_PAYMENT_DAYS = 120  # §411.21 "promptly": within 120 days after receipt of the claim
ESRD_WAITING_MONTHS = 3  # entitlement begins with the third month after the month dialysis starts
ESRD_END_AFTER_DIALYSIS_MONTHS = 12  # ends 12 months after the month dialysis stops (CRS p. 9)
ESRD_END_AFTER_TRANSPLANT_MONTHS = 36  # or 36 months after the month of a successful transplant
WCMSA_BENEFICIARY_THRESHOLD = Decimal("25000.00")  # beneficiary and total settlement > $25,000
WCMSA_EXPECTATION_THRESHOLD = Decimal("250000.00")  # expects Medicare within 30 months and > $250,000
WCMSA_EXPECTATION_MONTHS = 30
EARLIEST_DATE = date(1900, 1, 1)  # the dates this rule reasons about (month arithmetic stays in range)
LATEST_DATE = date(2199, 12, 31)


class CoordinationInputError(ValueError):
    """Bad input to the who-pays-first rule (SPEC §9): ``field`` names the input, the message says why."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class Payer(StrEnum):
    MEDICARE = "medicare"
    GHP = "ghp"
    COBRA = "cobra"
    RETIREE = "retiree"
    LIABILITY = "liability"
    NO_FAULT = "no_fault"
    WORKERS_COMP = "workers_comp"
    BLACK_LUNG = "black_lung"
    VA = "va"
    TRICARE = "tricare"
    MEDICAID = "medicaid"


PAYER_LABELS = {
    Payer.MEDICARE: "Medicare",
    Payer.GHP: "Group health plan (current employment)",
    Payer.COBRA: "COBRA continuation coverage",
    Payer.RETIREE: "Retiree coverage",
    Payer.LIABILITY: "Liability insurance (incl. self-insured)",
    Payer.NO_FAULT: "No-fault insurance",
    Payer.WORKERS_COMP: "Workers' compensation",
    Payer.BLACK_LUNG: "Federal Black Lung Program",
    Payer.VA: "Department of Veterans Affairs",
    Payer.TRICARE: "TRICARE",
    Payer.MEDICAID: "Medicaid",
}


class GHPBasis(StrEnum):
    NONE = "none"
    CURRENT_EMPLOYMENT = "current_employment"
    COBRA = "cobra"
    RETIREE = "retiree"


class Through(StrEnum):
    """Whose employment the GHP coverage comes from."""

    SELF = "self"
    SPOUSE = "spouse"
    FAMILY = "family"  # another family member (a parent, …): counts for the disabled, not the aged


class PartA(StrEnum):
    PREMIUM_FREE = "premium_free"
    PREMIUM = "premium"  # bought with a monthly premium (no work history)
    NONE = "none"  # Part B only


class NGHP(StrEnum):
    NONE = "none"
    LIABILITY = "liability"
    NO_FAULT = "no_fault"
    WORKERS_COMP = "workers_comp"


NGHP_PAYER = {NGHP.LIABILITY: Payer.LIABILITY, NGHP.NO_FAULT: Payer.NO_FAULT, NGHP.WORKERS_COMP: Payer.WORKERS_COMP}

# Every rule this module applies: id → the text shown to the caseworker (with its source).
RULES = {
    "T1.1": "Retiree coverage: Medicare pays first (CRS Table 1).",
    "T1.2": "65 or older, GHP through own or spouse's current employment, employer with 20 or more "
            "employees (or a multi-employer plan where at least one employer has 20 or more): the GHP pays "
            "first (CRS Table 1).",
    "T1.3": "65 or older, GHP through own or spouse's current employment, employer with fewer than 20 "
            "employees: Medicare pays first (CRS Table 1).",
    "T1.4": "Under 65 and disabled, GHP through own or a family member's current employment, employer with "
            "100 or more employees (or a multi-employer plan where at least one has 100 or more): the GHP pays "
            "first (CRS Table 1).",
    "T1.5": "Under 65 and disabled, GHP through current employment, employer with fewer than 100 employees: "
            "Medicare pays first (CRS Table 1).",
    "T1.6": "Medicare solely because of ESRD, enrolled in a GHP: the GHP pays first for the 30-month "
            "coordination period (CRS Table 1).",
    "T1.7": "Medicare on the basis of simultaneous ESRD and other eligibility, enrolled in a GHP: the GHP pays "
            "first for the 30-month coordination period (CRS Table 1).",
    "T1.8": "Medicare first on the basis of age or disability, then ESRD: Medicare was properly primary when "
            "ESRD entitlement began, so Medicare continues to pay first (CRS Table 1).",
    "T1.8s": "Medicare first on the basis of age or disability, then ESRD: the GHP was properly primary when "
             "ESRD entitlement began, so it stays primary for the 30-month coordination period (CRS p. 8 n. 34).",
    "ESRD-30": "ESRD: the 30-month coordination period has ended, Medicare pays first even with a GHP based "
               "on current employment (CRS p. 8).",
    "T2.1": "Medicare due to age or disability, then COBRA: Medicare pays first; COBRA is due to law, not "
            "to current employment (CRS Table 2).",
    "T2.2": "COBRA first, then entitled to Medicare: Medicare pays first (the employer may end COBRA) "
            "(CRS Table 2).",
    "T2.3": "Medicare based on ESRD, then COBRA: COBRA pays first to the extent it overlaps the 30-month "
            "coordination period (CRS Table 2).",
    "AGED-PART": "Working aged enrolled only in Part B, or in premium Part A: the working-aged rule does not "
                 "apply, Medicare pays first (42 CFR §411.172; CRS p. 6).",
    "AGED-THROUGH": "65 or older with GHP coverage through the employment of someone other than self or "
                    "spouse: the working-aged rule does not apply, Medicare pays first (CRS Table 1).",
    "AGED-EXEMPT": "Multi-employer plan that exempted the employees of employers with fewer than 20 "
                   "(42 CFR §411.172(b)): Medicare pays first for them (CRS p. 6).",
    "NGHP": "Liability, no-fault or workers' compensation: that plan pays first for the related care "
            "(CRS p. 11).",
    "PROMPT-120": "The liability, no-fault or WC plan has not paid within 120 days of the claim (§411.21, "
                  "§411.50): Medicare may pay conditionally and recover later (CRS p. 26).",
    "T3.1": "Black Lung: the Federal Black Lung Program pays for Black Lung related care; Medicare for the "
            "rest (CRS Table 3).",
    "T3.2": "VA-authorised care: the VA pays, Medicare does not pay (CRS Table 3).",
    "T3.3": "TRICARE at a military hospital or other federal provider: TRICARE pays, Medicare does not "
            "(CRS Table 3).",
    "T3.3s": "TRICARE outside a federal provider: Medicare pays first, TRICARE (For Life) is secondary "
             "(CRS Table 3).",
    "MEDICAID": "Medicaid is always secondary to Medicare and pays last (CRS p. 12).",
    "NONE": "No other coverage primary to Medicare: Medicare pays first.",
}


# --- calendar months --------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (or earlier); the month's last day when it is shorter
    (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(start: date, on: date) -> int:
    """Which month of a period that began in ``start``'s month ``on`` falls in: 1 for the first month."""
    return (on.year - start.year) * 12 + (on.month - start.month) + 1


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years on ``on`` (a 29 February birthday is reached on 1 March in other years)."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


# --- ESRD dates (CRS p. 7 n. 30, p. 8 n. 31, p. 9) --------------------------------------------------


def esrd_entitlement_start(*, dialysis_start: date | None = None, self_dialysis_training: bool = False,
                           transplant_admission: date | None = None, transplant_date: date | None = None) -> date:
    """The first day of the first month of ESRD Medicare eligibility, which starts the 30-month period.

    - Dialysis: the third month after the month a regular course of dialysis starts (July → 1 October);
      in the month dialysis starts when the person takes a self-dialysis training programme in it.
    - Transplant: the month of admission for the transplant (or the care before it) when the transplant
      takes place that month or in the next two; if it is delayed longer, two months before the
      transplant's month.
    The earliest that applies.
    """
    for name, value in (("dialysis_start", dialysis_start), ("transplant_admission", transplant_admission),
                        ("transplant_date", transplant_date)):
        check_date(name, value)
    candidates = []
    if dialysis_start is not None:
        months = 0 if self_dialysis_training else ESRD_WAITING_MONTHS
        candidates.append(add_months(month_start(dialysis_start), months))
    elif self_dialysis_training:
        raise CoordinationInputError("dialysis_start", "self-dialysis training needs the date dialysis started")
    if transplant_date is not None:
        transplant_month = month_start(transplant_date)
        if transplant_admission is not None:
            if transplant_admission > transplant_date:
                raise CoordinationInputError("transplant_admission",
                                             "the admission cannot be after the transplant")
            admission_month = month_start(transplant_admission)
            if months_between(admission_month, transplant_month) <= 3:
                candidates.append(admission_month)
            else:
                candidates.append(add_months(transplant_month, -2))
        else:
            candidates.append(transplant_month)  # admitted at the latest in the transplant's month
    elif transplant_admission is not None:
        raise CoordinationInputError("transplant_date", "an admission for a transplant needs the transplant date")
    if not candidates:
        raise CoordinationInputError("dialysis_start", "give the date dialysis started or the transplant date")
    return min(candidates)


def esrd_entitlement_end(*, dialysis_stopped: date | None = None, transplant_date: date | None = None) -> date:
    """The last day of ESRD Medicare: the end of the 12th month after the month dialysis stops, or of the
    36th month after the month of a successful transplant (CRS p. 9)."""
    check_date("dialysis_stopped", dialysis_stopped)
    check_date("transplant_date", transplant_date)
    if dialysis_stopped is not None:
        return month_end(add_months(month_start(dialysis_stopped), ESRD_END_AFTER_DIALYSIS_MONTHS))
    if transplant_date is not None:
        return month_end(add_months(month_start(transplant_date), ESRD_END_AFTER_TRANSPLANT_MONTHS))
    raise CoordinationInputError("dialysis_stopped", "give the date dialysis stopped or the transplant date")


@dataclass(frozen=True)
class EsrdPeriod:
    """One period of Medicare entitlement based on ESRD: from the first day of its first month (see
    ``esrd_entitlement_start``) to its last day (None while it lasts)."""

    start: date
    end: date | None = None

    @property
    def coordination_start(self) -> date:
        return month_start(self.start)

    @property
    def coordination_end(self) -> date:
        """The last day of the 30th month: Medicare is primary from the first day of month 31."""
        return month_end(add_months(self.coordination_start, COORDINATION_MONTHS - 1))

    def covers(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


def coordination_period(start: date) -> tuple[date, date]:
    """The 30-month coordination period of an ESRD entitlement that began in ``start``'s month."""
    period = EsrdPeriod(start)
    return period.coordination_start, period.coordination_end


# --- prompt payment (§411.21, §411.50) and WCMSA review (CRS p. 30) ---------------------------------


def prompt_payment_last_day(claim_received: date, service_date: date | None = None) -> date:
    """The last day a primary plan pays "promptly": 120 days after receipt of the claim (§411.21); for
    liability, no-fault and WC, after the earlier of the claim (or lien) and the service or discharge date
    (§411.50, CRS p. 3 n. 10)."""
    start = claim_received if service_date is None else min(claim_received, service_date)
    return start + timedelta(days=PROMPT_PAYMENT_DAYS)


def may_pay_conditionally(*, claim_received: date, on: date, paid_on: date | None = None,
                          service_date: date | None = None) -> bool:
    """Medicare may pay conditionally on ``on`` when the plan has not paid by then and the 120 days are
    over (day 121 after the claim onwards)."""
    if paid_on is not None and paid_on <= on:
        return False
    return on > prompt_payment_last_day(claim_received, service_date)


def within_months(start: date, on: date, months: int) -> bool:
    """Is ``on`` no later than the same day ``months`` calendar months after ``start``?"""
    return on <= add_months(start, months)


@dataclass(frozen=True)
class WcmsaReview:
    reviewed: bool
    rule: str


def _money(name: str, value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise CoordinationInputError(name, f"must be an amount (Decimal), not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise CoordinationInputError(name, "must be an amount in dollars and cents")
    if value < 0:
        raise CoordinationInputError(name, "must not be negative")
    if value != value.quantize(Decimal("0.01")):
        raise CoordinationInputError(name, "must be in whole cents")
    return value


def wcmsa_review(*, total_settlement: Decimal, medicare_beneficiary: bool,
                 expects_medicare_within_30_months: bool = False) -> WcmsaReview:
    """Will CMS review a WCMSA? Only if the claimant is a Medicare beneficiary and the total settlement
    is greater than $25,000; or the claimant reasonably expects Medicare enrolment within 30 months of the
    settlement date and the settlement is greater than $250,000 (SPEC §7, CRS p. 30). Exactly $25,000.00 or
    $250,000.00 is not greater."""
    amount = _money("total_settlement", total_settlement)
    if medicare_beneficiary:
        if amount > WCMSA_BENEFICIARY_THRESHOLD:
            return WcmsaReview(True, "Medicare beneficiary and total settlement greater than $25,000: CMS reviews.")
        return WcmsaReview(False, "Medicare beneficiary, but total settlement not greater than $25,000: "
                                  "CMS does not review (Medicare's interests must still be protected).")
    if expects_medicare_within_30_months:
        if amount > WCMSA_EXPECTATION_THRESHOLD:
            return WcmsaReview(True, "Reasonable expectation of Medicare within 30 months and total settlement "
                                     "greater than $250,000: CMS reviews.")
        return WcmsaReview(False, "Expects Medicare within 30 months, but total settlement not greater than "
                                  "$250,000: CMS does not review.")
    return WcmsaReview(False, "Not a Medicare beneficiary and no reasonable expectation of Medicare within "
                              "30 months: CMS does not review.")


# --- the situation and the determination ------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """The beneficiary's situation on ``on`` (the date of service).

    ``disabled``: entitled to Medicare on the basis of disability (under 65). ``esrd``: the periods of
    ESRD entitlement (a new period after one ended restarts the 30-month coordination period).
    ``other_entitlement_start``: when Medicare on age or disability began, if it did (None: age from the
    65th birthday, disability from ``on`` when ``disabled``). ``medicare_primary_when_esrd_began``: for a
    person first entitled on age or disability, whether Medicare was properly primary the day ESRD
    entitlement began (None: decide it from this situation's GHP facts on that day).
    """

    on: date
    date_of_birth: date
    disabled: bool = False
    esrd: tuple[EsrdPeriod, ...] = ()
    other_entitlement_start: date | None = None
    medicare_primary_when_esrd_began: bool | None = None
    part_a: PartA = PartA.PREMIUM_FREE
    part_b: bool = True
    ghp: GHPBasis = GHPBasis.NONE
    ghp_through: Through = Through.SELF
    employer_size: int | None = None
    multi_employer: bool = False
    largest_employer_size: int | None = None  # the largest employer in a multi(ple)-employer plan
    small_employer_exempted: bool = False  # the multi-employer plan's exemption (aged only)
    cobra_before_medicare: bool = False
    nghp: NGHP = NGHP.NONE
    nghp_related_care: bool = True
    claim_received: date | None = None  # by the NGHP, for the 120-day rule
    nghp_paid_on: date | None = None
    black_lung: bool = False
    black_lung_related_care: bool = False
    va_authorised_care: bool = False
    tricare: bool = False
    military_facility: bool = False
    medicaid: bool = False


@dataclass(frozen=True)
class Determination:
    order: tuple[Payer, ...]  # who pays, first to last; Medicare absent when it pays nothing
    rule_id: str  # the rule that decided who pays first
    rule: str
    applied: tuple[tuple[str, str], ...]  # every rule applied, (id, text), in the order applied
    conditional_payment: bool = False  # Medicare may pay conditionally now (120-day rule)
    coordination_period: tuple[date, date] | None = None  # the ESRD period's 30 months, when ESRD

    @property
    def primary(self) -> Payer:
        return self.order[0]

    @property
    def secondary(self) -> Payer | None:
        return self.order[1] if len(self.order) > 1 else None

    @property
    def medicare_primary(self) -> bool:
        return self.primary == Payer.MEDICARE

    @property
    def medicare_pays(self) -> bool:
        return Payer.MEDICARE in self.order


def check_date(name: str, value, *, required: bool = False) -> None:
    """A calendar date between 1900-01-01 and 2199-12-31 (None allowed unless ``required``)."""
    if value is None and not required:
        return
    if not isinstance(value, date):
        raise CoordinationInputError(name, "must be a date")
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise CoordinationInputError(name, "must be between 1900-01-01 and 2199-12-31")


DATE_FIELDS = ("other_entitlement_start", "claim_received", "nghp_paid_on")


def _validate(s: Situation) -> None:
    check_date("on", s.on, required=True)
    check_date("date_of_birth", s.date_of_birth, required=True)
    for name in DATE_FIELDS:
        check_date(name, getattr(s, name))
    for period in s.esrd:
        check_date("esrd", period.start, required=True)
        check_date("esrd", period.end)
    if s.date_of_birth > s.on:
        raise CoordinationInputError("date_of_birth", "cannot be after the date of service")
    for name in ("employer_size", "largest_employer_size"):
        value = getattr(s, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise CoordinationInputError(name, "must be a whole number of employees, not negative")
    if s.ghp == GHPBasis.CURRENT_EMPLOYMENT:
        if s.multi_employer:
            if s.largest_employer_size is None:
                raise CoordinationInputError("largest_employer_size",
                                             "a multi-employer plan needs the size of its largest employer")
            if s.employer_size is not None and s.employer_size > s.largest_employer_size:
                raise CoordinationInputError("largest_employer_size",
                                             "cannot be smaller than the beneficiary's own employer")
        elif s.employer_size is None:
            raise CoordinationInputError("employer_size", "GHP coverage through current employment needs the "
                                                          "number of employees")
    if s.small_employer_exempted and not s.multi_employer:
        raise CoordinationInputError("small_employer_exempted", "only a multi-employer plan can exempt")
    periods = sorted(s.esrd, key=lambda p: p.start)
    for i, p in enumerate(periods):
        if p.end is not None and p.end < p.start:
            raise CoordinationInputError("esrd", "an ESRD period cannot end before it starts")
        if i and (periods[i - 1].end is None or periods[i - 1].end >= p.start):
            raise CoordinationInputError("esrd", "ESRD periods cannot overlap: a new period starts after one ends")
    if s.nghp_paid_on is not None and s.claim_received is None:
        raise CoordinationInputError("claim_received", "a payment date needs the date the claim was received")
    if s.claim_received is not None and s.nghp == NGHP.NONE:
        raise CoordinationInputError("claim_received", "the 120-day rule needs a liability, no-fault or WC plan")
    if s.disabled and s.esrd and s.other_entitlement_start is None:
        raise CoordinationInputError("other_entitlement_start", "with both disability and ESRD, give the date "
                                                                "Medicare on disability began")
    if s.military_facility and not s.tricare:
        raise CoordinationInputError("military_facility", "care at a military facility is TRICARE's: "
                                                          "say the person is covered by TRICARE")
    if s.black_lung_related_care and not s.black_lung:
        raise CoordinationInputError("black_lung_related_care", "needs Federal Black Lung Program coverage")


def _esrd_period(s: Situation) -> EsrdPeriod | None:
    for period in s.esrd:
        if period.covers(s.on):
            return period
    return None


def _other_entitlement_start(s: Situation) -> date | None:
    """When Medicare on age or disability began (None if the person has none on ``on``)."""
    if s.other_entitlement_start is not None:
        return s.other_entitlement_start
    if age_on(s.date_of_birth, s.on) >= 65:
        return month_start(add_months(s.date_of_birth, 65 * 12))  # the month of the 65th birthday
    if s.disabled:
        return s.on
    return None


def _size_test(s: Situation, threshold: int) -> bool:
    """The employer meets the size test: its own size, or (multi-employer plan) its largest employer's."""
    if s.multi_employer:
        return (s.largest_employer_size or 0) >= threshold
    return (s.employer_size or 0) >= threshold


def _working_rule(s: Situation, on: date) -> tuple[bool, str]:
    """Age / disability with GHP through current employment, ignoring ESRD: (GHP primary?, rule id)."""
    if age_on(s.date_of_birth, on) >= 65:
        if s.ghp_through not in (Through.SELF, Through.SPOUSE):
            return False, "AGED-THROUGH"
        if s.part_a == PartA.PREMIUM or s.part_a == PartA.NONE:
            return False, "AGED-PART"
        if s.multi_employer and s.small_employer_exempted and (s.employer_size or 0) < AGED_EMPLOYER_SIZE:
            return False, "AGED-EXEMPT"
        return (True, "T1.2") if _size_test(s, AGED_EMPLOYER_SIZE) else (False, "T1.3")
    # under 65: the disability rule (a multi-employer plan may not exempt a small employer here, CRS p. 7)
    return (True, "T1.4") if _size_test(s, DISABLED_EMPLOYER_SIZE) else (False, "T1.5")


def _ghp_payer(s: Situation) -> Payer:
    return {GHPBasis.CURRENT_EMPLOYMENT: Payer.GHP, GHPBasis.COBRA: Payer.COBRA,
            GHPBasis.RETIREE: Payer.RETIREE}[s.ghp]


def _ghp_decision(s: Situation) -> tuple[bool, str, tuple[date, date] | None]:
    """Is the GHP primary to Medicare on ``s.on``? (GHP primary, rule id, the coordination period.)"""
    period = _esrd_period(s)
    if period is not None:
        window = (period.coordination_start, period.coordination_end)
        if s.on > period.coordination_end:
            return False, "ESRD-30", window
        other = _other_entitlement_start(s)
        other = month_start(other) if other is not None else None
        if other is not None and other < period.coordination_start:
            # Dual entitlement, age/disability first: Medicare's place the day ESRD began decides.
            medicare_was_primary = s.medicare_primary_when_esrd_began
            if medicare_was_primary is None:
                if s.ghp == GHPBasis.CURRENT_EMPLOYMENT:
                    medicare_was_primary = not _working_rule(s, period.coordination_start)[0]
                else:
                    medicare_was_primary = True  # retiree or COBRA: never primary on age/disability
            if medicare_was_primary:
                return False, "T1.8", window
            return True, "T1.8s", window
        if s.ghp == GHPBasis.COBRA:
            return True, "T2.3", window
        simultaneous = other is not None and other == period.coordination_start
        return True, ("T1.7" if simultaneous else "T1.6"), window
    if s.ghp == GHPBasis.RETIREE:
        return False, "T1.1", None
    if s.ghp == GHPBasis.COBRA:
        return False, ("T2.2" if s.cobra_before_medicare else "T2.1"), None
    primary, rule_id = _working_rule(s, s.on)
    return primary, rule_id, None


def who_pays_first(s: Situation) -> Determination:
    """Who pays first for the service on ``s.on`` (SPEC §7), and the rule that decided it."""
    _validate(s)
    if _esrd_period(s) is None and age_on(s.date_of_birth, s.on) < 65 and not s.disabled:
        raise CoordinationInputError("date_of_birth", "under 65, not disabled and no ESRD entitlement on the date "
                                                      "of service: not entitled to Medicare")
    applied: list[str] = []
    order: list[Payer] = []
    decided: str | None = None
    window = None

    def first(rule_id):
        nonlocal decided
        applied.append(rule_id)
        decided = decided or rule_id

    # 1. Federal care Medicare does not pay for.
    if s.va_authorised_care:
        first("T3.2")
        order.append(Payer.VA)
    elif s.tricare and s.military_facility:
        first("T3.3")
        order.append(Payer.TRICARE)
    medicare_excluded = bool(order)

    # 2–3. Black Lung related care, then liability / no-fault / WC related care.
    if not medicare_excluded and s.black_lung and s.black_lung_related_care:
        first("T3.1")
        order.append(Payer.BLACK_LUNG)
    conditional = False
    if not medicare_excluded and s.nghp != NGHP.NONE and s.nghp_related_care:
        first("NGHP")
        order.append(NGHP_PAYER[s.nghp])
        if s.claim_received is not None and may_pay_conditionally(claim_received=s.claim_received, on=s.on,
                                                                   paid_on=s.nghp_paid_on):
            conditional = True
            applied.append("PROMPT-120")

    # 4–6. The GHP before or after Medicare, TRICARE For Life, Medicaid last.
    ghp_after = None
    if s.ghp != GHPBasis.NONE:
        ghp_primary, rule_id, window = _ghp_decision(s)
        if medicare_excluded:
            applied.append(rule_id)
        else:
            first(rule_id)
        if ghp_primary:
            order.append(_ghp_payer(s))
        else:
            ghp_after = _ghp_payer(s)
    if not medicare_excluded:
        if s.tricare:
            first("T3.3s")
        if not applied:
            first("NONE")
        order.append(Payer.MEDICARE)
        if ghp_after is not None:
            order.append(ghp_after)
        if s.tricare:
            order.append(Payer.TRICARE)
    elif ghp_after is not None:
        order.append(ghp_after)
    if s.medicaid:
        applied.append("MEDICAID")
        order.append(Payer.MEDICAID)
    return Determination(order=tuple(order), rule_id=decided, rule=RULES[decided],
                         applied=tuple((r, RULES[r]) for r in applied), conditional_payment=conditional,
                         coordination_period=window)
