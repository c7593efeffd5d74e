"""Creating and correcting the records a case rests on — beneficiaries, payers, MSP occurrences,
claims — with the models' own rules (full_clean), for the API; the admin's forms and the bulk intake
check the same model rules. Cases are opened through recovery.cases.services.case_open. Each function
raises ValidationError naming the field (SPEC §9) and changes nothing when it does."""

from django.core.exceptions import ValidationError
from django.db import transaction

from beneficiaries.models import Beneficiary
from payers.models import MSPOccurrence, Payer
from recovery.models import Claim, RecoveryCase
from recovery.money.options import PRE_DEMAND

BENEFICIARY_FIELDS = ["mbi", "first_name", "last_name", "date_of_birth", "date_of_death", "address_line1",
                      "address_line2", "city", "state", "zip_code", "email", "entitlement_basis",
                      "entitlement_start", "entitlement_end"]
PAYER_FIELDS = ["name", "kind", "address", "email", "phone"]
OCCURRENCE_FIELDS = ["beneficiary", "payer", "coverage_type", "incident_date", "injury_kind", "coverage_start",
                     "coverage_end", "orm", "orm_end", "posted_on"]
CLAIM_FIELDS = ["claim_number", "provider_name", "provider_npi", "service_from", "service_to", "diagnosis_codes",
                "amount_paid", "paid_date", "status"]
CASE_CORRECTABLE = ["caseworker", "occurrence"]


def _save(instance, values: dict, allowed, *, actor, exclude=()):
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be set here."})
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean(exclude=list(exclude))
    instance._history_user = actor  # simple-history: who made the change
    with transaction.atomic():
        instance.save()
    return instance


def beneficiary_save(*, actor, values: dict, instance: Beneficiary | None = None) -> Beneficiary:
    return _save(instance or Beneficiary(), values, BENEFICIARY_FIELDS, actor=actor)


def payer_save(*, actor, values: dict, instance: Payer | None = None) -> Payer:
    return _save(instance or Payer(), values, PAYER_FIELDS, actor=actor)


def occurrence_save(*, actor, values: dict, instance: MSPOccurrence | None = None) -> MSPOccurrence:
    if instance is not None and "beneficiary" in values and values["beneficiary"] != instance.beneficiary:
        if instance.cases.exists():
            raise ValidationError({"beneficiary": "Cases rest on this occurrence: it stays with its beneficiary."})
    return _save(instance or MSPOccurrence(), values, OCCURRENCE_FIELDS, actor=actor)


def why_not_claims(case: RecoveryCase) -> str | None:
    """Claims are worked until the demand; after it the demand's computation is fixed (as in the admin)."""
    if case.demand_date or case.state not in PRE_DEMAND:
        return (f"Case {case.number} is past its demand ({case.get_state_display()}): its claims can no longer "
                "be added or corrected.")
    return None


def claim_save(*, actor, case: RecoveryCase, values: dict, instance: Claim | None = None) -> Claim:
    refusal = why_not_claims(case)
    if refusal:
        raise ValidationError({"claim_number" if instance is None else "__all__": refusal})
    claim = instance or Claim(case=case)
    return _save(claim, values, CLAIM_FIELDS, actor=actor)


def case_correct(*, actor, case: RecoveryCase, values: dict) -> RecoveryCase:
    """The fields the admin's case form may change (caseworker, occurrence); saved alone, so a step taken
    meanwhile keeps its dates and state (as RecoveryCaseAdmin.save_model)."""
    unknown = set(values) - set(CASE_CORRECTABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be corrected here; steps change it."})
    with transaction.atomic():
        case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
        for name, value in values.items():
            setattr(case, name, value)
        case.full_clean(exclude=["number", "state"])
        case._history_user = actor
        case.save(update_fields=[*(f"{n}" for n in values), "updated_at"])
    return case
