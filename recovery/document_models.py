"""Uploaded documents (SPEC §8, §9; issue 5): kept under generated names outside any public URL,
with the type found from their content and a SHA-256 checked on every download."""

import uuid

from django.conf import settings
from django.db import models


def _upload_to(instance, filename):
    # The stored name is generated: nothing of the uploader's file name reaches the file system.
    return f"uploads/{instance.uploaded_at:%Y/%m}/{instance.key}"


class UploadedDocument(models.Model):
    class Purpose(models.TextChoices):
        AUTHORISATION = "authorisation", "Authorisation (POR, CTR, letter of authority)"
        SETTLEMENT = "settlement", "Settlement documents"
        DISPUTE = "dispute", "Dispute evidence"
        APPEAL = "appeal", "Appeal or waiver request"
        OTHER = "other", "Other"

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("recovery.RecoveryCase", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="documents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    file = models.FileField(upload_to=_upload_to, max_length=200)
    original_name = models.CharField(max_length=200, help_text="The uploader's name for it, cleaned")
    content_type = models.CharField(max_length=60, help_text="Found from the content (magic bytes)")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.original_name} ({self.get_purpose_display()})"
