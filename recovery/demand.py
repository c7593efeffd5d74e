"""The demand amount of a case and how it was reached (SPEC §5.1, §5.2, §6: the demand shows it)."""

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from . import money
from .models import RecoveryCase, Settlement
from .selectors import conditional_payment_total
from .tracks import State, Track


@dataclass(frozen=True)
class DemandComputation:
    conditional_payments: Decimal
    amount: Decimal
    rule: str
    without_reduction: bool
    settlement: Decimal | None = None
    procurement_costs: Decimal | None = None
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def demand_computation(*, case: RecoveryCase, on: date) -> DemandComputation:
    """What the demand will ask for if issued on `on`.

    Beneficiary track: §411.37 with the settlement and the procurement costs the beneficiary bore;
    an unanswered CPN (demand issued from `cpn_issued` with no response) takes no reduction.
    Plan tracks: recovery from the primary payer itself is the conditional payment amount, no
    greater than the §411.37 amount where a settlement exists (§411.37(b), §411.24(i)).
    """
    total = conditional_payment_total(case=case)
    try:
        settlement = case.settlement
    except Settlement.DoesNotExist:
        settlement = None
    unanswered = case.state == State.CPN_ISSUED and case.response_date is None
    if settlement is None:
        return DemandComputation(
            conditional_payments=total, amount=total, rule="conditional payments (§5.1)",
            without_reduction=unanswered, steps=[f"Conditional payments on related claims: ${total}"],
        )
    rule_fn = money.recovery_amount if case.track == Track.BENEFICIARY else money.recovery_from_primary_payer
    result = rule_fn(
        medicare_payments=total,
        settlement=settlement.gross_amount,
        procurement_costs=settlement.procurement_costs,
        cpn_unanswered=unanswered,
    )
    amount, steps = result.amount, list(result.steps)
    return DemandComputation(
        conditional_payments=total, amount=amount, rule=result.rule, without_reduction=unanswered,
        settlement=settlement.gross_amount, procurement_costs=settlement.procurement_costs, steps=steps,
    )
