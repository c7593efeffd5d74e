"""Writes of the worklist: a caseworker marks a submission reviewed (explicit; audit-logged by the caller
with the request). Refused, with nothing changed, when already reviewed or not allowed."""

from django.db import transaction
from django.utils import timezone

from ..access import checks as access
from ..errors import CaseActionError
from ..models import Submission

REVIEW_PERM = "recovery.review_submission"


@transaction.atomic
def submission_review(*, submission: Submission, actor, note: str = "") -> Submission:
    if not (access.is_staff_user(actor) and actor.has_perm(REVIEW_PERM)):
        raise CaseActionError("You may not review submissions: ask a caseworker or a supervisor.")
    row = Submission.objects.select_for_update().get(pk=submission.pk)
    if row.reviewed_at:
        who = row.reviewed_by.get_username() if row.reviewed_by_id else "someone"
        raise CaseActionError(f"This submission was already reviewed by {who} on "
                              f"{timezone.localtime(row.reviewed_at):%Y-%m-%d %H:%M}.")
    if len(note) > 2000:
        raise CaseActionError("The review note is longer than 2,000 characters.", field="note")
    row.reviewed_at, row.reviewed_by, row.review_note = timezone.now(), actor, note.strip()
    row.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    return row
