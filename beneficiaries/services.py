"""Authorisations (SPEC §8): a representative or a caseworker submits one with its document; a
caseworker verifies or rejects it. Only a verified one grants anything (recovery.access.checks)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from recovery.errors import CaseActionError

from .models import Authorisation


def _first_error(exc: ValidationError) -> CaseActionError:
    field, messages = next(iter(exc.message_dict.items()))
    return CaseActionError(messages[0], field=None if field == "__all__" else field)


@transaction.atomic
def authorisation_submit(*, kind, holder, document, actor, case=None, payer=None, ctr_end_date=None,
                         from_estate=False) -> Authorisation:
    """Record an authorisation awaiting verification. `document` is a stored UploadedDocument."""
    auth = Authorisation(kind=kind, holder=holder, case=case, beneficiary=case.beneficiary if case else None,
                         payer=payer, ctr_end_date=ctr_end_date, from_estate=from_estate, document=document,
                         submitted_by=actor)
    try:
        auth.full_clean()
    except ValidationError as exc:
        raise _first_error(exc) from exc
    auth.save()
    return auth


@transaction.atomic
def authorisation_decide(*, authorisation: Authorisation, verified: bool, actor, note: str = "") -> Authorisation:
    auth = Authorisation.objects.select_for_update().get(pk=authorisation.pk)
    if auth.status != Authorisation.Status.PENDING:
        raise CaseActionError(f"This authorisation was already {auth.get_status_display().lower()}.")
    if not verified and not note.strip():
        raise CaseActionError("Say why the authorisation is rejected.", field="decision_note")
    auth.status = Authorisation.Status.VERIFIED if verified else Authorisation.Status.REJECTED
    auth.decided_by, auth.decided_on, auth.decision_note = actor, timezone.localdate(), note.strip()
    auth.save()
    return auth
