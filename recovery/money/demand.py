"""The demand amount of a case and how it was reached (SPEC §5.1-§5.3, §6: the demand shows it)."""

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from . import rules as money, policy
from ..models import ZERO, OptionElection, RecoveryCase, Settlement
from ..cases.selectors import conditional_payment_total
from ..cases.tracks import State, Track


@dataclass(frozen=True)
class DemandComputation:
    conditional_payments: Decimal
    amount: Decimal
    rule: str
    without_reduction: bool
    settlement: Decimal | None = None
    procurement_costs: Decimal | None = None
    below_threshold: bool = False
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def _latest(case, kind, statuses):
    return case.elections.filter(kind=kind, status__in=statuses).order_by("-id").first()


def threshold_check(case: RecoveryCase, settlement: Settlement):
    """SPEC §5.3: the recovery threshold in force on the settlement date for the case's coverage type, and
    whether the settlement falls under it: (threshold, rules.recovery_threshold_applies's result)."""
    occurrence = case.occurrence
    threshold = policy.recovery_threshold(coverage_type=occurrence.coverage_type, on=settlement.settlement_date)
    return threshold, money.recovery_threshold_applies(
        settlement=settlement.gross_amount, threshold=threshold, coverage_type=occurrence.coverage_type,
        physical_trauma=occurrence.injury_kind == "trauma",
        other_settlement_expected=settlement.other_settlement_expected,
    )


def demand_computation(*, case: RecoveryCase, on: date) -> DemandComputation:
    """What the demand will ask for if issued on `on`.

    Beneficiary track: the recovery threshold in force on the settlement date (§5.3) — at or below it,
    nothing is recovered; an accepted fixed-percentage election — 25% of the gross settlement; an
    answered self-calculated election — its final amount stands for the conditional payments if the
    case settled in time; then §411.37 with the procurement costs the beneficiary bore. An unanswered
    CPN (demand issued from `cpn_issued` with no response) takes no reduction (§5.2).
    Plan tracks: recovery from the primary payer is no greater than the §411.37 amount (§411.37(b)).
    """
    total = conditional_payment_total(case=case)
    try:
        settlement = case.settlement
    except Settlement.DoesNotExist:
        settlement = None
    unanswered = case.state in (State.CPN_ISSUED, State.PAYMENT_NOTICE_ISSUED) and case.response_date is None
    if settlement is None:
        return DemandComputation(
            conditional_payments=total, amount=total, rule="conditional payments (§5.1)",
            without_reduction=unanswered, steps=[f"Conditional payments on related claims: ${total}"],
        )
    common = {"conditional_payments": total, "settlement": settlement.gross_amount,
              "procurement_costs": settlement.procurement_costs, "without_reduction": unanswered}
    steps: list[str] = []
    if case.track == Track.BENEFICIARY:
        _, threshold = threshold_check(case, settlement)
        if threshold.eligible:
            return DemandComputation(amount=ZERO, rule="recovery threshold (§5.3)", below_threshold=True,
                                     steps=list(threshold.steps), **common)
        fixed = _latest(case, OptionElection.Kind.FIXED_PERCENTAGE, [OptionElection.Status.ACCEPTED])
        if fixed:
            from .options import fixed_percentage_result

            result = fixed_percentage_result(case=case, settlement=settlement)
            if result.eligible:
                return DemandComputation(amount=result.amount, rule="fixed percentage option (§5.3)",
                                         steps=list(result.steps), **common)
            steps.append("The fixed percentage option no longer applies: " + " ".join(result.reasons))
        selfcalc = _latest(case, OptionElection.Kind.SELF_CALCULATED, [OptionElection.Status.ANSWERED])
        if selfcalc:
            terms = policy.self_calculated_terms(on=selfcalc.elected_on)
            last_day = selfcalc.answered_on + timedelta(days=terms.settle_within_days)
            if settlement.settlement_date <= last_day:
                steps.append(f"Self-calculated option: the final conditional payment amount ${selfcalc.final_amount} "
                             f"given on {selfcalc.answered_on} holds (settled by {last_day}).")
                total = selfcalc.final_amount
                common["conditional_payments"] = total
            else:
                steps.append(f"Self-calculated option: the case settled after {last_day}, so the final amount "
                             "given no longer holds; the conditional payments are used.")
        from .final_amount import final_amount_for_demand  # SPEC §5.6: a final amount that holds

        held, note = final_amount_for_demand(case=case, settlement=settlement, on=on)
        steps += [note] if note else []
        if held is not None:
            total = common["conditional_payments"] = held
    rule_fn = money.recovery_amount if case.track == Track.BENEFICIARY else money.recovery_from_primary_payer
    result = rule_fn(medicare_payments=total, settlement=settlement.gross_amount,
                     procurement_costs=settlement.procurement_costs, cpn_unanswered=unanswered)
    return DemandComputation(amount=result.amount, rule=result.rule, steps=steps + list(result.steps), **common)
