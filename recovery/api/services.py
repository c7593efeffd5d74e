"""Writes the API needs that recovery.services does not have yet.

STOPGAP: `settlement_record` belongs in recovery/services.py beside the steps (STYLE.md: every write
to a case goes through the services); it lives here only because the API's owner may not edit that
file. Its move is a cut-and-paste (see the API report); the views import it from one place.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from recovery.errors import CaseActionError
from recovery.models import RecoveryCase, Settlement
from recovery.options import PRE_DEMAND

SETTLEMENT_FIELDS = ("settlement_date", "gross_amount", "attorney_fees", "other_costs", "costs_borne_by_beneficiary",
                     "claim_was_disputed", "other_settlement_expected", "source", "received_on")


class SettlementInputError(CaseActionError):
    """Several fields at fault at once: `errors` maps each to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=None if field == "__all__" else field)
        self.errors = errors


@transaction.atomic
def settlement_record(*, case: RecoveryCase, actor, received_on: date, **details) -> tuple[Settlement, bool]:
    """Record (or correct) the settlement details of a case before its demand (SPEC §3.1: the date,
    the gross amount, the fees and other procurement costs the beneficiary bore; §9: costs above the
    settlement, a settlement before the incident, amounts below zero or in fractions of a cent are
    refused naming the field, and nothing is saved). The details are corrected only until the case
    acts on them: once the settlement date became the case's termination date (settlement reported,
    CPN issued) a correction is the caseworker's (admin). Writes a history row. Returns
    (settlement, created)."""
    from recovery.services import _history, today

    unknown = set(details) - set(SETTLEMENT_FIELDS)
    if unknown:
        raise CaseActionError(f"Unknown settlement detail: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    if case.state not in PRE_DEMAND or case.demand_date:
        raise CaseActionError("Settlement details are recorded before the demand is issued.")
    if case.termination_date:
        raise CaseActionError(
            f"The case already counts the settlement of {case.termination_date:%Y-%m-%d}; ask the caseworker to "
            "correct it.", field="settlement_date")
    if received_on > today():
        raise CaseActionError("The date received cannot be in the future.", field="received_on")
    if details.get("settlement_date") and details["settlement_date"] > today():
        raise CaseActionError("The settlement date cannot be in the future.", field="settlement_date")
    try:
        settlement, created = case.settlement, False
    except Settlement.DoesNotExist:
        settlement, created = Settlement(case=case), True
    for name, value in details.items():
        setattr(settlement, name, value)
    settlement.received_on = received_on
    try:
        settlement.full_clean()
    except ValidationError as exc:
        raise SettlementInputError(exc.message_dict) from exc
    settlement.save()
    _history(case, "record_settlement", actor=actor, on=received_on, from_state=case.state,
             reason=("Settlement details recorded" if created else "Settlement details corrected")
             + f" ({settlement.get_source_display().lower()})")
    return settlement, created
