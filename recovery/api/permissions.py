"""What each part of a case the API shows or changes needs, on top of recovery.access.checks (SPEC §8).

recovery.access.checks decides *whether* a user sees a case (`cases_for`) and in which role (`access_to`);
this module only names which roles each part of the API is for. No view filters cases by hand:
every case, letter and document is found through `access.cases_for` first.

| part                                     | staff | POR | CTR (unexpired) | debtor (insurer LOA) | reporter |
| ---------------------------------------- | ----- | --- | --------------- | -------------------- | -------- |
| case list, case detail, claims, letters  | yes   | yes | yes             | yes                  | yes      |
| (+ PDFs), balance, ledger rows           |       |     |                 |                      |          |
| history (who did what, internal notes)   | yes   | no  | no              | no                   | no       |
| steps (POST …/actions/{action}/)         | access.may_take decides, step by step                                    |
| disputes                                 | access.may_take(…, "open_dispute")                                       |
| settlement details, option elections     | yes*  | yes | no              | no                   | no       |
| payments                                 | yes*  | no  | no              | no                   | no       |
| documents on a case                      | yes*  | yes | no              | yes                  | no       |

(*) staff who may work cases (`recovery.transition_recoverycase`, i.e. CaseAccess.act).

Reading follows the portal (recovery.portal.views.case_detail), so that one person gets the same answer
on both: whoever may see a case sees its claims, its letters and its debt. A CTR lets the named party
"see and receive copies" (SPEC §8), so CTR holders see the ledger rows too — but never act. The
history holds staff names and internal reasons: staff only, as in the admin.
"""

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

from recovery import second_factor
from recovery.access.checks import CaseAccess

DETAIL_ROLES = frozenset({"staff", "por", "ctr", "debtor", "reporter"})
HISTORY_ROLES = frozenset({"staff"})
SETTLEMENT_ROLES = frozenset({"staff", "por"})
ELECTION_ROLES = frozenset({"staff", "por"})
PAYMENT_ROLES = frozenset({"staff"})
DOCUMENT_ROLES = frozenset({"staff", "por", "debtor"})


def sees_details(access: CaseAccess) -> bool:
    return access.view and access.role in DETAIL_ROLES


def sees_history(access: CaseAccess) -> bool:
    return access.view and access.role in HISTORY_ROLES


def may_operate(access: CaseAccess, roles) -> bool:
    """May this user record something on the case that is not a state change (settlement details,
    an election, a payment, a document)? Acting roles only: a CTR or a reporter never acts."""
    return access.act and access.role in roles


def second_factor_required(user) -> bool:
    """Staff sign in with a second factor when STAFF_OTP_REQUIRED is on — recovery.second_factor, the one check
    the admin site and every page ask too."""
    return second_factor.required_for(user)


class StaffSecondFactor(BasePermission):
    """A staff session must be verified with a device (django-otp) when STAFF_OTP_REQUIRED is on, as the
    admin demands: the API is not a way round the second factor. A token is only issued to staff with a
    valid one-time code (TokenView), so token requests pass here."""

    message = "Staff sign in with a second factor: verify your session with your device (admin login), or use " \
              "an API token obtained with a one-time code."

    def has_permission(self, request, view):
        if not second_factor_required(request.user):
            return True
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        return second_factor.verified(request.user)
