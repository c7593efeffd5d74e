"""What people outside send through the portal or the API, waiting for a caseworker to read it.

Every step or submission a person outside takes writes a case-history row (recovery.models.CaseEvent)
with that person as its actor; the row's `post_save` files a Submission for it, in the same
transaction. A caseworker reviews it explicitly (recovery.worklist.services.submission_review; the model lives at
the models layer so the history's receiver needs nothing above it), which
is audit-logged; until then it is on the worklist.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from .cases.tracks import ACTION_LABELS

SUBMISSION_LABELS = {
    "submit_settlement": "Settlement details",
    "open_dispute": "Dispute",
    "record_response": "Response to the notice",
    "file_appeal": "Appeal",
    "file_waiver": "Waiver request",
    "file_challenge": "Challenge",
    "elect_fixed_percentage": "Fixed-percentage election",
    "elect_self_calculated": "Self-calculated election",
    "final_amount_request": "Final conditional payment amount request",
    "final_amount_notice": "Notice of settlement (final amount process)",
}


def submission_label(action: str) -> str:
    return SUBMISSION_LABELS.get(action) or ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


class Submission(models.Model):
    case = models.ForeignKey("recovery.RecoveryCase", on_delete=models.PROTECT, related_name="submissions")
    event = models.OneToOneField("recovery.CaseEvent", on_delete=models.PROTECT, related_name="submission")
    action = models.CharField(max_length=40, help_text="What was sent: the history row's action")
    received_at = models.DateTimeField()
    received_on = models.DateField(help_text="The date the submission counts from")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                     related_name="+")
    submitted_by_name = models.CharField(max_length=150)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    review_note = models.TextField(blank=True)

    class Meta:
        app_label = "recovery"
        ordering = ["received_at", "id"]
        indexes = [
            # The worklist reads only the unreviewed ones: a small partial index, whatever the history's size.
            models.Index(fields=["received_at"], condition=Q(reviewed_at__isnull=True),
                         name="submission_unreviewed"),
            models.Index(fields=["case", "received_at"], name="submission_case"),
        ]
        permissions = [("review_submission", "Can mark a portal or API submission reviewed")]

    def __str__(self):
        return f"{self.action_label} on case {self.case.number} ({'reviewed' if self.reviewed_at else 'to review'})"

    @property
    def action_label(self) -> str:
        return submission_label(self.action)


def _is_outside(user) -> bool:
    return user is not None and not user.is_staff


@receiver(post_save, sender="recovery.CaseEvent", dispatch_uid="worklist_submission_from_event")
def _file_submission(sender, instance, created, **kwargs):
    """A history row written by a person outside (portal, API) is a submission to review."""
    if not created or kwargs.get("raw") or not _is_outside(instance.actor):
        return
    Submission.objects.create(
        case_id=instance.case_id, event=instance, action=instance.action, received_at=instance.at,
        received_on=instance.effective_date, submitted_by=instance.actor, submitted_by_name=instance.actor_name,
    )
