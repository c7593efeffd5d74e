"""Writes to a debt's append-only ledger (SPEC §5.5): payments, review adjustments.

Payments are applied to assessed interest first, then to principal; anything above the whole
balance is a refund owed. A payment that brings the balance to zero closes the case as paid.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from . import money
from .errors import CaseActionError
from .models import ZERO, LedgerEntry, RecoveryCase
from .selectors import debt_balance
from .tracks import State

DEBT_STATES = {
    State.DEMAND_ISSUED, State.INTENT_TO_REFER_ISSUED, State.REFERRAL_NOTICE_ISSUED, State.APPEAL_PENDING,
    State.WAIVER_PENDING, State.CHALLENGE_PENDING, State.REFERRED_TO_TREASURY,
}


def _money(value, field) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise CaseActionError("Enter an amount in dollars and cents.", field=field) from None
    if not amount.is_finite():
        raise CaseActionError("Enter an amount in dollars and cents.", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise CaseActionError("Amounts are in whole cents (at most two decimal places).", field=field)
    if amount < ZERO:
        raise CaseActionError("The amount cannot be negative.", field=field)
    return amount


@transaction.atomic
def payment_record(*, case: RecoveryCase, amount, received_on: date, actor) -> LedgerEntry:
    from .services import case_act, today

    amount = _money(amount, "amount")
    if amount == ZERO:
        raise CaseActionError("A payment must be more than $0.00.", field="amount")
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    if case.state not in DEBT_STATES:
        raise CaseActionError("Payments are recorded once a demand has been issued.", field="amount")
    if received_on < case.demand_date:
        raise CaseActionError("The payment is dated before the demand.", field="received_on")
    if received_on > today():
        raise CaseActionError("The payment cannot be dated in the future.", field="received_on")
    balance = debt_balance(case=case)
    to_interest, to_principal, excess = money.apply_payment(
        interest_due=balance.interest, principal_due=balance.principal, amount=amount
    )
    entry = LedgerEntry.objects.create(
        case=case, kind=LedgerEntry.Kind.PAYMENT, entry_date=received_on, amount=amount,
        interest=-to_interest, principal=-to_principal, refund_owed=excess,
        note=f"Applied ${to_interest} to interest, ${to_principal} to principal", actor_name=actor.get_username(),
    )
    if debt_balance(case=case).total == ZERO and case.state != State.REFERRED_TO_TREASURY:
        if case.state in (State.APPEAL_PENDING, State.WAIVER_PENDING, State.CHALLENGE_PENDING):
            return entry  # paid while under review: the decision closes it (refund if favourable)
        case_act(case=case, action="close_paid", actor=actor, on=received_on, reason="Paid in full")
    return entry


@dataclass(frozen=True)
class Adjustment:
    principal: Decimal
    interest: Decimal
    refund_owed: Decimal
    amount: Decimal
    note: str

    def save_for(self, *, case, on, actor):
        return LedgerEntry.objects.create(
            case=case, kind=LedgerEntry.Kind.ADJUSTMENT, entry_date=on, principal=self.principal,
            interest=self.interest, refund_owed=self.refund_owed, amount=self.amount, note=self.note,
            actor_name=actor.get_username(),
        )


def review_adjustment(*, case: RecoveryCase, reduced_to) -> tuple[Adjustment, str | None]:
    """A favourable appeal, waiver or challenge reduces the debt to `reduced_to` or cancels it (0).

    Returns the ledger adjustment and the closed state the case goes to, if any: cancelled with
    nothing paid → no recovery; balance reaching zero → paid (with any overpayment owed back).
    """
    if reduced_to in (None, ""):
        raise CaseActionError("A favourable decision gives the reduced debt (0.00 cancels it).", field="reduced_to")
    reduced_to = _money(reduced_to, "reduced_to")
    demanded = case.demand_amount or ZERO
    if reduced_to >= demanded:
        raise CaseActionError(f"The reduced debt must be below the demand (${demanded}).", field="reduced_to")
    balance = debt_balance(case=case)
    paid_principal = demanded - balance.principal  # principal already paid
    new_principal = reduced_to - paid_principal
    refund = ZERO
    interest_change = ZERO
    if reduced_to == ZERO:
        interest_change = -balance.interest  # a cancelled debt carries no interest
    if new_principal < ZERO:
        refund, new_principal = -new_principal, ZERO
    adjustment = Adjustment(
        principal=new_principal - balance.principal, interest=interest_change, refund_owed=refund,
        amount=demanded - reduced_to, note=f"Debt reduced to ${reduced_to}",
    )
    nothing_paid = not case.ledger.filter(kind=LedgerEntry.Kind.PAYMENT).exists()
    if reduced_to == ZERO and nothing_paid:
        return adjustment, State.CLOSED_NO_RECOVERY
    if new_principal + balance.interest + interest_change == ZERO:
        return adjustment, State.CLOSED_PAID
    return adjustment, None
