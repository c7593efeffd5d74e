"""Demand calculation options a beneficiary may elect (SPEC §5.3): fixed percentage, self-calculated.

Eligibility is decided by the pure rules in recovery.money.rules with the terms in force (recovery.money.policy);
an election is recorded either way, with the reasons when it is refused, and written to the case's
history. The demand (recovery.money.demand) then uses what was accepted.
"""

from datetime import date

from django.db import transaction

from . import rules as money, policy
from ..cases.history import today
from ..cases.history import write as _history
from ..errors import CaseActionError
from .ledger import parse_money
from ..models import OptionElection, RecoveryCase, Settlement
from ..cases.tracks import State, Track

PRE_DEMAND = {State.REPORTED, State.OCCURRENCE_POSTED, State.RAR_ISSUED, State.CPL_ISSUED, State.CPN_ISSUED,
              State.DISPUTE_PENDING, State.SETTLEMENT_REPORTED}
K = OptionElection.Kind
ST = OptionElection.Status


def _check_case(case, on):
    if case.track != Track.BENEFICIARY:
        raise CaseActionError("The options are for beneficiaries' liability cases (beneficiary track).")
    if case.state not in PRE_DEMAND:
        raise CaseActionError("An option must be elected before the demand is issued.")
    if on > today():
        raise CaseActionError("The election cannot be dated in the future.", field="elected_on")
    if case.occurrence_id is None:
        raise CaseActionError("Link the MSP occurrence first: the options depend on its coverage and injury.")


# Medicare's benefits began on 1966-07-01 (Social Security Amendments of 1965): no conditional payment, so no
# injury a recovery case is about, can be dated before it.
MEDICARE_BEGAN = date(1966, 7, 1)


def _check_self_calculated_dates(case, *, injury_date: date, care_completed_date: date | None, elected_on: date):
    """Dates that cannot be (SPEC §5.3, §9): an injury before Medicare existed, before the beneficiary was
    born or before the MSP occurrence's incident; care completed in the future or before the injury."""
    born = case.beneficiary.date_of_birth
    incident = case.occurrence.incident_date
    if injury_date < MEDICARE_BEGAN:
        raise CaseActionError(f"The injury date ({injury_date:%Y-%m-%d}) is before Medicare began "
                              f"({MEDICARE_BEGAN:%Y-%m-%d}).", field="injury_date")
    if born and injury_date < born:
        raise CaseActionError(f"The injury date ({injury_date:%Y-%m-%d}) is before the beneficiary's birth "
                              f"({born:%Y-%m-%d}).", field="injury_date")
    if incident and injury_date < incident:
        raise CaseActionError(f"The injury date ({injury_date:%Y-%m-%d}) is before the incident of the MSP "
                              f"occurrence ({incident:%Y-%m-%d}).", field="injury_date")
    if injury_date > elected_on:
        raise CaseActionError("The injury date is after the election.", field="injury_date")
    if care_completed_date is not None:
        if care_completed_date > today():
            raise CaseActionError(f"The care completed date ({care_completed_date:%Y-%m-%d}) is in the future: "
                                  "give it once care is complete, or a physician's attestation.",
                                  field="care_completed_date")
        if care_completed_date < injury_date:
            raise CaseActionError(f"The care completed date ({care_completed_date:%Y-%m-%d}) is before the "
                                  f"injury ({injury_date:%Y-%m-%d}).", field="care_completed_date")


def _settlement(case):
    try:
        return case.settlement
    except Settlement.DoesNotExist:
        return None


def _record(case, election, actor):
    _history(case, f"elect_{election.kind}", actor=actor, on=election.elected_on, from_state=case.state,
             reason=f"{election.get_kind_display()}: {election.get_status_display()}"
                    + (f" — {' '.join(election.reasons)}" if election.reasons else ""))
    return election


def fixed_percentage_result(*, case: RecoveryCase, settlement: Settlement) -> money.OptionResult:
    terms = policy.fixed_percentage_terms(on=settlement.settlement_date)
    if terms is None:
        return money.OptionResult(False, None, ("No fixed percentage terms were in force on the settlement date.",))
    occurrence = case.occurrence
    return money.fixed_percentage_option(
        gross_settlement=settlement.gross_amount, percentage=terms.percentage, settlement_cap=terms.settlement_cap,
        coverage_type=occurrence.coverage_type, physical_trauma=occurrence.injury_kind == "trauma",
        elected_before_demand=True, other_settlement_expected=settlement.other_settlement_expected,
    )


@transaction.atomic
def option_elect_fixed_percentage(*, case: RecoveryCase, elected_on: date, actor) -> OptionElection:
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    _check_case(case, elected_on)
    settlement = _settlement(case)
    if settlement is None:
        raise CaseActionError("Enter the settlement details first: the option depends on the gross settlement.")
    result = fixed_percentage_result(case=case, settlement=settlement)
    election = OptionElection.objects.create(
        case=case, kind=K.FIXED_PERCENTAGE, elected_on=elected_on,
        status=ST.ACCEPTED if result.eligible else ST.REFUSED, reasons=list(result.reasons),
        actor_name=actor.get_username())
    return _record(case, election, actor)


@transaction.atomic
def option_elect_self_calculated(*, case: RecoveryCase, elected_on: date, injury_date: date,
                                 care_completed_date: date | None, physician_attestation: bool,
                                 expected_settlement, submitted_amount, actor) -> OptionElection:
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    _check_case(case, elected_on)
    expected = parse_money(expected_settlement, "expected_settlement")
    submitted = parse_money(submitted_amount, "submitted_amount")
    settlement = _settlement(case)
    if settlement is not None and settlement.settlement_date <= elected_on:
        raise CaseActionError("The self-calculated option is elected before the case settles.", field="elected_on")
    _check_self_calculated_dates(case, injury_date=injury_date, care_completed_date=care_completed_date,
                                 elected_on=elected_on)
    terms = policy.self_calculated_terms(on=elected_on)
    if terms is None:
        raise CaseActionError(f"No self-calculated option terms are in force on {elected_on:%Y-%m-%d}.")
    occurrence = case.occurrence
    result = money.self_calculated_option_eligibility(
        injury_date=injury_date, election_date=elected_on, expected_settlement=expected,
        settlement_limit=terms.settlement_limit, care_completed_date=care_completed_date,
        submission_date=elected_on, physician_attestation=physician_attestation,
        other_settlement_expected=False, physical_trauma=occurrence.injury_kind == "trauma",
        min_months=terms.min_months_since_injury, min_care_days=terms.min_days_since_care,
    )
    election = OptionElection.objects.create(
        case=case, kind=K.SELF_CALCULATED, elected_on=elected_on,
        status=ST.ACCEPTED if result.eligible else ST.REFUSED, reasons=list(result.reasons),
        injury_date=injury_date, care_completed_date=care_completed_date,
        physician_attestation=physician_attestation, expected_settlement=expected, submitted_amount=submitted,
        actor_name=actor.get_username())
    return _record(case, election, actor)


@transaction.atomic
def option_answer_self_calculated(*, case: RecoveryCase, final_amount, answered_on: date, actor) -> OptionElection:
    """The contractor's answer: the final conditional payment amount (due within 60 days, SPEC §5.3)."""
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    election = case.elections.filter(kind=K.SELF_CALCULATED, status=ST.ACCEPTED).order_by("-id").first()
    if election is None:
        raise CaseActionError("There is no accepted self-calculated election to answer.")
    if answered_on < election.elected_on:
        raise CaseActionError("The answer cannot precede the election.", field="answered_on")
    if answered_on > today():
        raise CaseActionError("The answer cannot be dated in the future.", field="answered_on")
    election.final_amount = parse_money(final_amount, "final_amount")
    election.answered_on = answered_on
    election.status = ST.ANSWERED
    election.save()
    _history(case, "answer_self_calculated", actor=actor, on=answered_on, from_state=case.state,
             reason=f"Final conditional payment amount ${election.final_amount}")
    return election


def gave_up_appeal_rights(case: RecoveryCase) -> bool:
    """Electing the self-calculated option gives up appeal rights (not waiver) — SPEC §5.3."""
    return case.elections.filter(kind=K.SELF_CALCULATED, status__in=[ST.ACCEPTED, ST.ANSWERED]).exists()
