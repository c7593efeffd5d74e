"""Who may see and do what on a case (SPEC §8) — the one access function every page, API endpoint,
admin queryset, file download and export calls. Never filter cases by hand in a view.

- Staff (caseworkers, supervisors): every case, and the steps their permissions allow.
- An attorney or representative: the cases for which they hold a *verified* authorisation — a POR
  (see and act: settlement details, disputes, options, appeals) or an *unexpired* CTR (see only). An
  expired, pending or rejected one gives nothing.
- An insurer contact with a verified letter of authority for its organisation: the cases where that
  organisation is the debtor (see and act: disputes, appeals, challenges) or the reporting entity
  (see only).
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from beneficiaries.models import Authorisation
from payers.models import MSPOccurrence

from ..models import RecoveryCase

VIEW_PERM = "recovery.view_recoverycase"
A = Authorisation


@dataclass(frozen=True)
class CaseAccess:
    view: bool
    act: bool
    role: str  # "staff", "por", "ctr", "debtor", "reporter", or "none"


NONE = CaseAccess(False, False, "none")


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(VIEW_PERM))


def _verified(user):
    return Authorisation.objects.filter(holder=user, status=A.Status.VERIFIED)


def _external_ids(user):
    """The ids of the cases a person outside may see, as one subquery: a UNION of indexed lookups (their
    PORs and unexpired CTRs; the cases their organisation is the debtor of; the cases whose occurrence it
    reported) — no OR across joined tables and no DISTINCT over the cases (issue 10)."""
    today = timezone.localdate()
    auths = _verified(user)
    represented = auths.filter(Q(kind=A.Kind.POR) | Q(kind=A.Kind.CTR, ctr_end_date__gte=today),
                               case_id__isnull=False).values("case_id")
    payers = auths.filter(kind=A.Kind.LOA, payer_id__isnull=False).values("payer_id")
    debtor = RecoveryCase.objects.filter(debtor_payer_id__in=payers).order_by().values("pk")
    reporter = RecoveryCase.objects.filter(
        occurrence_id__in=MSPOccurrence.objects.filter(payer_id__in=payers).values("pk")).order_by().values("pk")
    return represented.order_by().union(debtor, reporter)


def cases_for(user):
    """The cases `user` may see (a queryset; empty for anyone else)."""
    if not (user and user.is_authenticated and user.is_active):
        return RecoveryCase.objects.none()
    if is_staff_user(user):
        return RecoveryCase.objects.all()
    return RecoveryCase.objects.filter(pk__in=_external_ids(user))


def access_to(user, case: RecoveryCase) -> CaseAccess:
    """What `user` may do on `case`."""
    if not (user and user.is_authenticated and user.is_active):
        return NONE
    if is_staff_user(user):
        return CaseAccess(True, user.has_perm("recovery.transition_recoverycase"), "staff")
    today = timezone.localdate()
    auths = _verified(user)
    if auths.filter(kind=A.Kind.POR, case=case).exists():
        return CaseAccess(True, True, "por")
    loa_payers = set(auths.filter(kind=A.Kind.LOA).values_list("payer_id", flat=True))
    if case.debtor_payer_id and case.debtor_payer_id in loa_payers:
        return CaseAccess(True, True, "debtor")
    if auths.filter(kind=A.Kind.CTR, case=case, ctr_end_date__gte=today).exists():
        return CaseAccess(True, False, "ctr")
    if case.occurrence_id and case.occurrence.payer_id in loa_payers:
        return CaseAccess(True, False, "reporter")
    return NONE


def roles_for(user, cases) -> dict[int, CaseAccess]:
    """`access_to` for many cases with two queries, whatever their number (list pages)."""
    cases = list(cases)
    if not (user and user.is_authenticated and user.is_active):
        return {c.pk: NONE for c in cases}
    if is_staff_user(user):
        staff = CaseAccess(True, user.has_perm("recovery.transition_recoverycase"), "staff")
        return {c.pk: staff for c in cases}
    today = timezone.localdate()
    auths = list(_verified(user).values_list("kind", "case_id", "payer_id", "ctr_end_date"))
    por = {c for k, c, _, _ in auths if k == A.Kind.POR}
    ctr = {c for k, c, _, end in auths if k == A.Kind.CTR and end and end >= today}
    loa = {p for k, _, p, _ in auths if k == A.Kind.LOA}
    reporters = dict(RecoveryCase.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "occurrence__payer_id"))
    out = {}
    for c in cases:
        if c.pk in por:
            out[c.pk] = CaseAccess(True, True, "por")
        elif c.debtor_payer_id and c.debtor_payer_id in loa:
            out[c.pk] = CaseAccess(True, True, "debtor")
        elif c.pk in ctr:
            out[c.pk] = CaseAccess(True, False, "ctr")
        elif reporters.get(c.pk) in loa:
            out[c.pk] = CaseAccess(True, False, "reporter")
        else:
            out[c.pk] = NONE
    return out


# The steps a person outside may take on the portal or the API, by their role (SPEC §3, §8).
EXTERNAL_ACTIONS = {
    "por": {"record_response", "open_dispute", "file_appeal", "file_waiver"},
    "debtor": {"record_response", "open_dispute", "file_appeal", "file_challenge"},
}


def may_take(user, case: RecoveryCase, action: str) -> bool:
    """May `user` take `action` on `case` (apart from the step's own guards)?"""
    if is_staff_user(user):
        perm = "recovery.hold_recoverycase" if action in ("put_on_hold", "resume") else "recovery.transition_recoverycase"
        return user.has_perm(perm)
    access = access_to(user, case)
    return access.act and action in EXTERNAL_ACTIONS.get(access.role, set())
