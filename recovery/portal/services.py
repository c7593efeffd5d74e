"""Writes the portal makes that are not steps of a track: the settlement details a representative
sends (SPEC §3.1: date, gross amount, attorney fees and other procurement costs). The caseworker then
records the settlement as reported, or issues the demand, in the admin."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ..errors import CaseActionError
from ..models import RecoveryCase, Settlement
from ..money.options import PRE_DEMAND
from ..cases.tracks import Track

FIELDS = ("settlement_date", "gross_amount", "attorney_fees", "other_costs", "other_settlement_expected")


def why_not_settlement(case: RecoveryCase) -> str | None:
    if case.track != Track.BENEFICIARY:
        return "Settlement details are sent on beneficiaries' cases (beneficiary track)."
    if case.demand_date or case.state not in PRE_DEMAND:
        return ("The demand has been issued (or the case is not open to changes): settlement details can no "
                "longer be changed here. Ask for an appeal or a waiver instead.")
    return None


def _first_error(exc: ValidationError) -> CaseActionError:
    field, messages = next(iter(exc.message_dict.items()))
    return CaseActionError(messages[0], field=None if field == "__all__" else field)


@transaction.atomic
def settlement_submit(*, case: RecoveryCase, actor, on: date, settlement_date: date, gross_amount: Decimal,
                      attorney_fees: Decimal, other_costs: Decimal,
                      other_settlement_expected: bool = False) -> Settlement:
    """Create or update the case's settlement before the demand (refused after). A new one is from the
    beneficiary's side, received `on`; an update keeps its source and first received date."""
    from ..cases.services import _history

    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    refusal = why_not_settlement(case)
    if refusal:
        raise CaseActionError(refusal)
    settlement = Settlement.objects.filter(case=case).first()
    created = settlement is None
    if created:
        settlement = Settlement(case=case, source=Settlement.Source.BENEFICIARY, received_on=on)
    elif case.termination_date and settlement_date != case.termination_date:
        raise CaseActionError(
            f"The settlement date {case.termination_date:%Y-%m-%d} already ends the recovery period; ask the "
            "caseworker to correct it.", field="settlement_date")
    values = dict(zip(FIELDS, (settlement_date, gross_amount, attorney_fees, other_costs,
                               bool(other_settlement_expected))))
    for name, value in values.items():
        setattr(settlement, name, value)
    settlement.received_on = settlement.received_on or on
    try:
        settlement.full_clean()
    except ValidationError as exc:
        raise _first_error(exc) from exc
    settlement.save()
    _history(case, "submit_settlement", actor=actor, on=on, from_state=case.state,
             reason="Settlement details sent through the portal" if created
             else "Settlement details updated through the portal")
    return settlement
